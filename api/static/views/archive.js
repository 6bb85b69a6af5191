// "Lưu trữ": the archivist's day on one page — alerts, the retention queue and proposals, approvals (password typed
// again), legal holds, archival files with their lists and exports, retention schedules, fixity and the audit chain.
// Every action goes through the API, which checks roles and scope again.

import * as api from "../api.js";
import {
  h, dossierLink, errorBox, formatDate, formatDateTime, heading, notice, onSubmit, select, field, table,
} from "../dom.js";
import {
  dispositionStateLabel, docTypeLabel, endActionLabel, fileStateLabel, fixityOutcomeLabel, holdScopeLabel, lang,
  retentionStateLabel, t,
} from "../i18n.js";
import { saveBlob } from "./documents.js";
import { openPdf } from "./pdf.js";

function section(id, title, ...children) {
  return h("section", { class: "panel", "aria-labelledby": id }, h("h2", { id }, title), ...children);
}

function loading() {
  return h("div", { "aria-busy": "true" }, h("p", { class: "loading" }, t("app.loading")));
}

async function fill(box, load, render) {
  box.replaceChildren(loading());
  try {
    const data = await load();
    box.replaceChildren(render(data));
  } catch (error) {
    box.replaceChildren(error.status === 403 ? notice(t("archive.not_allowed"), "info") : errorBox(error));
  }
}

function pdfButton(path, label, filename) {
  const status = h("span", {});
  const button = h("button", { type: "button", class: "button secondary" }, label);
  button.addEventListener("click", () => openPdf({ path, button, label, busyLabel: t("app.loading"), status, filename,
    blockedText: t("archive.pdf_blocked"), openText: t("archive.pdf_open") }));
  return h("span", {}, button, status);
}

function alertsBox(refresh) {
  const box = h("div", {});
  const render = (page) => page.count === 0 ? notice(t("archive.alerts_none"), "success")
    : table(t("archive.alerts"), [t("archive.when"), t("archive.what"), ""], page.data.map((alert) => [
      formatDateTime(alert.raised_at), lang() === "en" ? alert.message_en : alert.message_vi,
      h("button", { type: "button", class: "button secondary", onclick: async () => {
        await api.request(`/archive/alerts/${alert.id}/acknowledge`, { method: "POST" });
        refresh();
      } }, t("archive.acknowledge"))]));
  fill(box, () => api.get("/archive/alerts"), render);
  return box;
}

function queueBox(refresh) {
  const box = h("div", {});
  const render = (page) => {
    if (page.count === 0) return notice(t("archive.queue_empty"), "success");
    const chosen = new Set();
    const reason = h("input", { type: "text", maxlength: "2000" });
    const status = h("div", { role: "status" });
    const submit = h("button", { type: "submit", class: "button" }, t("archive.propose"));
    const form = h("form", { class: "form-grid" }, field(t("archive.reason"), reason, { required: true }), submit, status);
    onSubmit(form, { submit, status,
      check: () => (chosen.size === 0 ? [t("archive.choose_some"), null] : null),
      send: async () => {
        const action = page.data.find((d) => chosen.has(d.dossier_code)).end_action;
        await api.request("/archive/dispositions", { method: "POST",
          json: { dossier_codes: [...chosen], reason: reason.value, action } });
        refresh();
      } });
    return h("div", {}, table(t("archive.queue"), ["", t("archive.dossier"), t("archive.closed"), t("archive.due"),
      t("archive.end_action"), t("archive.state")], page.data.map((due) => [
      h("input", { type: "checkbox", disabled: due.held || due.state !== "kept", "aria-label": due.dossier_code,
                   onchange: (event) => (event.target.checked ? chosen.add(due.dossier_code)
                     : chosen.delete(due.dossier_code)) }),
      due.dossier_code, formatDate(due.closed_at), due.due_on ? formatDate(due.due_on) : t("archive.permanent"),
      endActionLabel(due.end_action),
      due.held ? h("strong", {}, t("archive.held")) : retentionStateLabel(due.state)])), form);
  };
  const dueBefore = h("input", { type: "date" });
  const list = h("div", {});
  const load = () => fill(list, () => api.get("/archive/retention/due",
    dueBefore.value ? { due_before: dueBefore.value } : null), render);
  dueBefore.addEventListener("change", load);
  load();
  box.append(h("div", { class: "form-grid" }, field(t("archive.due_before"), dueBefore,
    { hint: t("archive.due_before_hint") })), list);
  return box;
}

function proposalsBox(refresh) {
  const box = h("div", {});
  const decide = (proposal) => {
    const password = h("input", { type: "password", autocomplete: "current-password" });
    const note = h("input", { type: "text", maxlength: "2000" });
    const status = h("div", { role: "status" });
    const submit = h("button", { type: "submit", class: "button danger" }, t("archive.approve"));
    const reject = h("button", { type: "button", class: "button secondary" }, t("archive.reject"));
    reject.addEventListener("click", async () => {
      try {
        await api.request(`/archive/dispositions/${proposal.id}/reject`, { method: "POST",
          json: { note: note.value || t("archive.rejected_note") } });
        refresh();
      } catch (error) { status.replaceChildren(errorBox(error)); }
    });
    const form = h("form", { class: "form-inline" }, field(t("archive.password_again"), password, { required: true }),
      field(t("archive.note"), note), submit, reject, status);
    onSubmit(form, { submit, status, send: async () => {
      await api.request(`/archive/dispositions/${proposal.id}/approve`, { method: "POST",
        json: { password: password.value, note: note.value } });
      refresh();
    } });
    return form;
  };
  const render = (page) => page.count === 0 ? notice(t("archive.proposals_none"), "info")
    : table(t("archive.proposals"), [t("archive.proposed"), t("archive.dossiers"), t("archive.reason"),
      t("archive.state"), ""], page.data.map((p) => [
      `${formatDateTime(p.proposed_at)} — ${p.proposed_by}`, p.dossier_codes.join(", "), p.reason,
      `${dispositionStateLabel(p.state)}${p.decided_by ? ` — ${p.decided_by}` : ""}`,
      p.state === "proposed" ? decide(p)
        : p.action === "destroy" && p.state === "executed"
          ? pdfButton(`/archive/dispositions/${p.id}/list.pdf`, t("archive.destruction_list"), "danh-muc-huy.pdf") : ""]));
  fill(box, () => api.get("/archive/dispositions"), render);
  return box;
}

function holdsBox(refresh) {
  const box = h("div", {});
  const scope = select([["dossier", t("archive.scope.dossier")], ["file", t("archive.scope.file")],
    ["applicant", t("archive.scope.applicant")]], { value: "dossier" });
  const target = h("input", { type: "text", maxlength: "64" });
  const reason = h("input", { type: "text", maxlength: "2000" });
  const status = h("div", { role: "status" });
  const submit = h("button", { type: "submit", class: "button" }, t("archive.place_hold"));
  const form = h("form", { class: "form-grid" }, field(t("archive.scope"), scope), field(t("archive.target"), target,
    { required: true }), field(t("archive.reason"), reason, { required: true }), submit, status);
  onSubmit(form, { submit, status, send: async () => {
    await api.request("/archive/holds", { method: "POST", json: { scope: scope.value, target: target.value,
                                                                   reason: reason.value } });
    refresh();
  } });
  const list = h("div", {});
  const release = (hold) => {
    const why = h("input", { type: "text", maxlength: "2000", "aria-label": t("archive.release_reason") });
    const button = h("button", { type: "button", class: "button secondary" }, t("archive.release"));
    const out = h("span", { role: "status" });
    button.addEventListener("click", async () => {
      try {
        await api.request(`/archive/holds/${hold.id}/release`, { method: "POST", json: { reason: why.value } });
        refresh();
      } catch (error) { out.replaceChildren(errorBox(error)); }
    });
    return h("span", {}, why, button, out);
  };
  const released = h("input", { type: "checkbox" });
  const releasedLine = (hold) => h("span", {}, `${t("archive.released")} ${formatDateTime(hold.released_at)} — `
    + `${hold.released_by}: ${hold.release_reason}`);
  const load = () => fill(list, () => api.get("/archive/holds", released.checked ? { include_released: "true" } : null),
    (page) => page.count === 0 ? notice(t("archive.holds_none"), "info")
      : table(t("archive.holds"), [t("archive.scope"), t("archive.target"), t("archive.reason"), t("archive.placed"), ""],
        page.data.map((hold) => [holdScopeLabel(hold.scope),
          hold.scope === "dossier" ? dossierLink(hold.target) : hold.target, hold.reason,
          `${formatDateTime(hold.placed_at)} — ${hold.placed_by}`, hold.active ? release(hold) : releasedLine(hold)])));
  released.addEventListener("change", load);
  load();
  box.append(h("label", {}, released, ` ${t("archive.show_released")}`), list, form);
  return box;
}

function filesBox(ctx, refresh) {
  const box = h("div", {});
  const agency = h("input", { type: "text", value: ctx.me.agency_code, maxlength: "40" });
  const year = h("input", { type: "number", min: "1900", max: "2200", value: String(new Date().getFullYear() - 1) });
  const status = h("div", { role: "status" });
  const submit = h("button", { type: "submit", class: "button" }, t("archive.gather"));
  const form = h("form", { class: "form-grid" }, field(t("archive.agency"), agency), field(t("archive.year"), year),
    submit, status);
  onSubmit(form, { submit, status, send: async () => {
    await api.request("/archive/files/gather", { method: "POST",
      json: { agency_code: agency.value, year: Number(year.value) } });
    refresh();
  } });
  const exportBag = (code) => h("button", { type: "button", class: "button secondary", onclick: async () => {
    const { data } = await api.request(`/archive/exports/${encodeURIComponent(code)}`, { method: "POST", raw: true });
    saveBlob(data, `${code}.bag.zip`);
  } }, t("archive.export_bag"));
  const list = h("div", {});
  fill(list, () => api.get("/archive/files"), (page) => page.count === 0 ? notice(t("archive.files_none"), "info")
    : table(t("archive.files"), [t("archive.file_code"), t("archive.title"), t("archive.maintenance"),
      t("archive.totals"), t("archive.deposit_due"), t("archive.state"), ""], page.data.map((file) => [
      h("a", { href: `#/archive/files/${encodeURIComponent(file.file_code)}`, class: "code" }, file.file_code),
      file.title, file.maintenance, `${file.doc_total} / ${file.page_total}`,
      file.deposit_due_on ? formatDate(file.deposit_due_on) : "", fileStateLabel(file.state),
      h("span", {}, pdfButton(`/archive/files/${encodeURIComponent(file.file_code)}/documents.pdf`,
        t("archive.document_list"), "muc-luc-van-ban.pdf"), exportBag(file.file_code))])));
  box.append(list, pdfButton("/archive/files.pdf", t("archive.file_list"), "muc-luc-ho-so.pdf"), form);
  return box;
}

const DOCUMENT_TYPES = ["application_form", "id_card_copy", "land_certificate", "decision", "other"];

// Schedules: a procedure or a field, optionally one document type; the most specific one governs a dossier.
function schedulesBox(refresh) {
  const box = h("div", {});
  const appliesTo = select([["procedure", t("archive.procedure")], ["field", t("archive.field")]],
    { value: "procedure" });
  const target = h("input", { type: "text", maxlength: "120" });
  const documentType = select([["", t("archive.any_document_type")],
    ...DOCUMENT_TYPES.map((value) => [value, docTypeLabel(value)])], { value: "" });
  const years = h("input", { type: "number", min: "1", max: "200" });
  const minimum = h("input", { type: "number", min: "1", max: "200" });
  const action = select([["destroy", t("archive.action.destroy")], ["deposit", t("archive.action.deposit")]],
    { value: "destroy" });
  const note = h("input", { type: "text", maxlength: "2000" });
  const status = h("div", { role: "status" });
  const submit = h("button", { type: "submit", class: "button" }, t("archive.add_schedule"));
  const form = h("form", { class: "form-grid" }, field(t("archive.applies_to"), appliesTo),
    field(t("archive.schedule_target"), target, { required: true, hint: t("archive.schedule_target_hint") }),
    field(t("archive.document_type"), documentType), field(t("archive.years"), years, { hint: t("archive.years_hint") }),
    field(t("archive.minimum"), minimum), field(t("archive.end_action"), action), field(t("archive.note"), note),
    submit, status);
  const body = (s, active) => ({ procedure_code: s.procedure_code, field: s.field, document_type: s.document_type,
    years: s.years, legal_minimum_years: s.legal_minimum_years, end_action: s.end_action, note: s.note, active });
  onSubmit(form, { submit, status, send: async () => {
    const byProcedure = appliesTo.value === "procedure";
    await api.request("/archive/schedules", { method: "POST", json: body({
      procedure_code: byProcedure ? target.value.trim() : null, field: byProcedure ? null : target.value.trim(),
      document_type: documentType.value || null, years: years.value ? Number(years.value) : null,
      legal_minimum_years: minimum.value ? Number(minimum.value) : null, end_action: action.value,
      note: note.value }, true) });
    refresh();
  } });
  const toggle = (s) => h("button", { type: "button", class: "button secondary", onclick: async (event) => {
    event.target.disabled = true;
    try {
      await api.request(`/archive/schedules/${s.id}`, { method: "PUT", json: body(s, !s.active) });
      refresh();
    } catch (error) {
      event.target.disabled = false;
      event.target.after(errorBox(error));
    }
  } }, s.active ? t("archive.deactivate") : t("archive.reactivate"));
  const list = h("div", {});
  fill(list, () => api.get("/archive/schedules", { include_inactive: "true" }), (page) => page.count === 0
    ? notice(t("archive.schedules_none"), "info")
    : table(t("archive.schedules"), [t("archive.applies_to"), t("archive.document_type"), t("archive.years"),
      t("archive.minimum"), t("archive.end_action"), t("archive.note"), ""], page.data.map((s) => [
      s.procedure_code ? `${t("archive.procedure")} ${s.procedure_code}` : `${t("archive.field")} ${s.field}`,
      s.document_type ? docTypeLabel(s.document_type) : t("archive.any_document_type"),
      s.years ?? t("archive.permanent"), s.legal_minimum_years ?? s.years ?? "", endActionLabel(s.end_action),
      s.active ? s.note : `${s.note} (${t("archive.inactive")})`, toggle(s)])));
  box.append(h("p", { class: "hint" }, t("archive.specific_wins")), list, form);
  return box;
}

// One dossier's retention: the scheduled date, the legal minimum, and a move with a reason.
function dueDateBox() {
  const box = h("div", {});
  const code = h("input", { type: "text", maxlength: "64" });
  const shown = h("div", {});
  const status = h("div", { role: "status" });
  const submit = h("button", { type: "submit", class: "button secondary" }, t("archive.look_up"));
  const form = h("form", { class: "form-grid" }, field(t("archive.dossier"), code, { required: true }), submit, status);
  const show = (line) => {
    const dueOn = h("input", { type: "date", value: line.due_on || "", min: line.minimum_due_on || "" });
    const reason = h("input", { type: "text", maxlength: "2000" });
    const moveStatus = h("div", { role: "status" });
    const move = h("button", { type: "submit", class: "button" }, t("archive.move_due"));
    const moveForm = h("form", { class: "form-grid" }, field(t("archive.new_due"), dueOn, { required: true }),
      field(t("archive.reason"), reason, { required: true }), move, moveStatus);
    onSubmit(moveForm, { submit: move, status: moveStatus, send: async () => {
      show((await api.request(`/archive/retention/${encodeURIComponent(line.dossier_code)}/due-date`,
        { method: "POST", json: { due_on: dueOn.value, reason: reason.value } })).data);
      shown.prepend(notice(t("archive.due_moved"), "success"));
    } });
    shown.replaceChildren(table(line.dossier_code, [t("archive.closed"), t("archive.years"), t("archive.scheduled_due"),
      t("archive.minimum_due"), t("archive.due"), t("archive.reason"), t("archive.state")], [[
      formatDate(line.closed_at), line.years ?? t("archive.permanent"),
      line.scheduled_due_on ? formatDate(line.scheduled_due_on) : t("archive.permanent"),
      line.minimum_due_on ? formatDate(line.minimum_due_on) : t("app.dash"),
      line.due_on ? formatDate(line.due_on) : t("archive.permanent"), line.extension_reason || t("app.dash"),
      retentionStateLabel(line.state)]]), line.years === null ? notice(t("archive.permanent_no_move"), "info") : moveForm);
  };
  onSubmit(form, { submit, status, send: async () => {
    show(await api.get(`/archive/retention/${encodeURIComponent(code.value.trim())}`));
  } });
  box.append(form, shown);
  return box;
}

function integrityBox() {
  const box = h("div", {});
  const fixity = h("div", {});
  fill(fixity, () => api.get("/archive/fixity"), (report) => h("div", {},
    h("p", {}, t("archive.fixity_summary", { blobs: report.blobs, checked: report.checked_this_pass,
      damaged: report.damaged_now,
      last: report.last_full_pass_at ? formatDateTime(report.last_full_pass_at) : t("archive.never") })),
    report.recent_problems.length === 0 ? notice(t("archive.fixity_clean"), "success")
      : table(t("archive.fixity_problems"), [t("archive.when"), t("archive.blob"), t("archive.outcome")],
        report.recent_problems.map((p) => [formatDateTime(p.at), p.key, fixityOutcomeLabel(p.outcome)]))));
  const result = h("div", { role: "status" });
  const verify = h("button", { type: "button", class: "button" }, t("archive.verify_chain"));
  verify.addEventListener("click", async () => {
    verify.disabled = true;
    result.replaceChildren(loading());
    try {
      const { data } = await api.request("/archive/audit/verify", { method: "POST" });
      result.replaceChildren(notice(lang() === "en" ? data.message_en : data.message_vi,
        data.intact ? "success" : "error"));
    } catch (error) {
      result.replaceChildren(errorBox(error));
    } finally {
      verify.disabled = false;
    }
  });
  box.append(fixity, verify, result);
  return box;
}

export async function renderArchive(ctx) {
  const { main } = ctx;
  const refresh = () => ctx.navigate("/archive", { at: String(Date.now()) });
  main.append(heading(t("archive.heading")), h("p", { class: "lead" }, t("archive.intro")),
    section("archive-alerts", t("archive.alerts"), alertsBox(refresh)),
    section("archive-queue", t("archive.queue"), queueBox(refresh)),
    section("archive-proposals", t("archive.proposals"), proposalsBox(refresh)),
    section("archive-holds", t("archive.holds"), holdsBox(refresh)),
    section("archive-files", t("archive.files"), filesBox(ctx, refresh)),
    section("archive-schedules", t("archive.schedules"), schedulesBox(refresh)),
    section("archive-due-date", t("archive.due_date"), dueDateBox()),
    section("archive-integrity", t("archive.integrity"), integrityBox()));
}
