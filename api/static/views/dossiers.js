// "Hồ sơ": the dossier list with filters and pagination. Filters live in the hash query so that the
// back button and a copied link give the same list.

import * as api from "../api.js";
import {
  h, dossierLink, errorBox, field, formatDateTime, heading, lateBadge, notice, pager, select, stateBadge, table, timeElement,
} from "../dom.js";
import { stateLabel, t } from "../i18n.js";

export const STATES = ["new", "received", "processing", "supplement_requested", "awaiting_fees", "transferred",
  "resolved", "result_returned", "refused", "withdrawn", "stopped"];
const PAGE_SIZES = [20, 50, 100];

function readFilters(params) {
  const limit = Number(params.get("limit")) || 20;
  return {
    state: params.get("state") || "",
    procedure: params.get("procedure") || "",
    late: params.get("late") === "1",
    from: params.get("from") || "",
    to: params.get("to") || "",
    id: params.get("id") || "",
    limit: PAGE_SIZES.includes(limit) ? limit : 20,
    offset: Math.max(0, Number(params.get("offset")) || 0),
  };
}

function hashParams(filters) {
  return { ...filters, late: filters.late ? "1" : "", offset: filters.offset || "", limit: filters.limit === 20 ? "" : filters.limit };
}

/** The applicant cell: name, then the ID number in small type. */
export function applicantCell(applicant) {
  return [h("span", {}, applicant.name), h("br"), h("span", { class: "muted small" }, applicant.id_number)];
}

export function procedureCell(code, procedures) {
  const procedure = procedures ? procedures.get(code) : null;
  return procedure
    ? [h("span", {}, procedure.name), h("br"), h("span", { class: "muted small" }, code)]
    : [h("span", {}, code)];
}

export async function renderDossierList(ctx) {
  const { main, params, navigate } = ctx;
  const filters = readFilters(params);
  main.appendChild(heading(t("list.title")));

  let procedures = null;
  try {
    procedures = await api.procedureIndex();
  } catch (_ignored) {
    procedures = null; // the list still works with codes only
  }

  const stateSelect = select([["", t("list.all_states")], ...STATES.map((s) => [s, stateLabel(s)])],
    { value: filters.state, name: "state" });
  const procedureOptions = procedures
    ? [...procedures.values()].sort((a, b) => a.name.localeCompare(b.name, "vi"))
      .map((p) => [p.code, `${p.name} (${p.code})`])
    : [];
  const procedureSelect = select([["", t("list.all_procedures")], ...procedureOptions],
    { value: filters.procedure, name: "procedure" });
  if (filters.procedure && procedureSelect.value !== filters.procedure) {
    procedureSelect.appendChild(h("option", { value: filters.procedure }, filters.procedure));
    procedureSelect.value = filters.procedure;
  }
  const lateBox = h("input", { type: "checkbox", name: "late", checked: filters.late, id: "filter-late" });
  const fromInput = h("input", { type: "date", name: "from", value: filters.from });
  const toInput = h("input", { type: "date", name: "to", value: filters.to });
  const idInput = h("input", { type: "text", name: "id", value: filters.id, inputmode: "numeric", autocomplete: "off" });
  const sizeSelect = select(PAGE_SIZES.map((n) => [String(n), String(n)]), { value: String(filters.limit) });

  const form = h("form", { class: "filters", role: "search", "aria-label": t("list.filters") },
    field(t("field.state"), stateSelect),
    field(t("field.procedure"), procedureSelect, { wide: true }),
    field(t("list.received_from"), fromInput),
    field(t("list.received_to"), toInput),
    field(t("list.applicant_id"), idInput),
    field(t("page.size"), sizeSelect),
    h("div", { class: "field checkbox" }, lateBox, h("label", { for: lateBox.id }, t("list.late_only"))),
    h("div", { class: "actions" },
      h("button", { type: "submit", class: "button primary" }, t("list.apply")),
      h("button", { type: "button", class: "button secondary", onclick: () => navigate("/dossiers") }, t("list.reset"))));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    navigate("/dossiers", hashParams({
      state: stateSelect.value, procedure: procedureSelect.value, late: lateBox.checked,
      from: fromInput.value, to: toInput.value, id: idInput.value.trim(), limit: Number(sizeSelect.value), offset: 0,
    }));
  });
  main.appendChild(h("details", { class: "filter-panel", open: true },
    h("summary", {}, t("list.filters")), form));

  const results = h("div", { class: "results", "aria-busy": "true" }, h("p", { class: "loading" }, t("app.loading")));
  main.appendChild(results);

  let page;
  try {
    page = await api.get("/dossiers", {
      state: filters.state ? [filters.state] : [], procedure_code: filters.procedure, late: filters.late ? "true" : "",
      received_from: filters.from, received_to: filters.to, applicant_id_number: filters.id,
      limit: filters.limit, offset: filters.offset,
    });
  } catch (error) {
    results.replaceChildren(errorBox(error));
    results.removeAttribute("aria-busy");
    return;
  }
  results.removeAttribute("aria-busy");
  results.replaceChildren();
  const go = (offset) => navigate("/dossiers", hashParams({ ...filters, offset }));
  if (page.count === 0) {
    results.appendChild(notice(t("list.empty")));
    return;
  }
  results.appendChild(dossierTable(page.data, procedures, t("list.caption")));
  results.appendChild(pager(page.count, filters.limit, filters.offset, go));
}

/** Shared by the list and the late view. `extra` adds trailing columns: [{label, cell(dossier, row)}]. */
export function dossierTable(rows, procedures, caption, extra = []) {
  const head = [t("field.code"), t("field.procedure"), t("field.applicant"), t("field.state"),
    t("field.received_at"), t("field.due_at"), t("field.overdue"), ...extra.map((x) => x.label)];
  const body = rows.map((row) => {
    const dossier = row.dossier || row;
    const overdue = row.overdue_days ?? dossier.overdue_days;
    return [
      dossierLink(dossier.code),
      procedureCell(dossier.procedure_code, procedures),
      applicantCell(dossier.applicant),
      stateBadge(dossier.state),
      timeElement(dossier.received_at),
      [timeElement(dossier.due_at), dossier.extended_due_at
        ? h("span", { class: "block muted small" }, t("list.extended", { date: formatDateTime(dossier.extended_due_at) }))
        : null],
      lateBadge(overdue) || h("span", { class: "muted" }, t("field.not_late")),
      ...extra.map((x) => x.cell(dossier, row)),
    ];
  });
  return table(caption, head, body);
}
