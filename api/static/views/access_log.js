// "Nhật ký truy cập": who read what, when and why it was allowed.
//  - the view #/access-log (auditors and administrators) with filters in the hash;
//  - the dossier view's section (auditors, administrators, leaders of agencies that took part);
//  - "Ai đã xem" under each document (views/documents.js).
// Reading a log is itself written to the log (kind "audit"), so the dossier's and the documents' logs load
// only when asked for.

import * as api from "../api.js";
import { h, dossierLink, errorBox, field, heading, notice, pager, select, table, timeElement, uid } from "../dom.js";
import { accessActionLabel, accessReasonLabel, principalKindLabel, t } from "../i18n.js";

export const ACCESS_ACTIONS = ["view", "document", "download", "text", "preview", "snippet", "list", "search",
  "public_lookup", "audit"];
const PAGE_SIZES = [50, 100, 200];
const PANEL_PAGE = 20;
// Reasons that come from taking part in the dossier: a leader of such an agency may read its access log.
const PARTICIPATION = ["holder_agency", "receiving_agency", "route_agency", "successor_agency"];
const DETAIL_MAX = 160;

/** Whether to offer the dossier's access log to this officer (the API decides again). */
export function mayAuditDossier(me, dossier) {
  if (api.hasRole(me, "auditor", "admin")) return true;
  return api.hasRole(me, "leader") && PARTICIPATION.includes(dossier.access_reason);
}

/** Whether to offer "who read this document": the roles that may ever read a log. */
export function mayAuditDocuments(me) {
  return api.hasRole(me, "auditor", "admin", "leader");
}

/** A short text for an entry's detail (search words, list filters, counts …). */
function detailText(detail) {
  const parts = Object.entries(detail || {}).map(([name, value]) => `${name}: ${JSON.stringify(value)}`);
  const text = parts.join("; ");
  return text.length > DETAIL_MAX ? `${text.slice(0, DETAIL_MAX - 1)}…` : text;
}

/** The entries as a table; `dossierColumn`, `documentColumn`, `detailColumn` say which columns to show. */
export function accessLogTable(entries, { caption, agencyName, dossierColumn = true, documentColumn = true,
                                          detailColumn = true }) {
  const head = [t("access.at"), t("access.who"), t("access.agency"), t("access.action"), t("access.reason")];
  if (dossierColumn) head.push(t("access.dossier"));
  if (documentColumn) head.push(t("access.document"));
  if (detailColumn) head.push(t("access.detail"));
  const rows = entries.map((entry) => {
    const cells = [
      timeElement(entry.at),
      [h("span", {}, entry.username), h("span", { class: "block muted small" }, principalKindLabel(entry.principal_kind))],
      entry.agency_code ? agencyName(entry.agency_code) : t("app.dash"),
      accessActionLabel(entry.action),
      [accessReasonLabel(entry.reason), entry.share_id
        ? h("span", { class: "block muted small" }, t("access.share_id", { id: entry.share_id })) : null],
    ];
    if (dossierColumn) cells.push(entry.dossier_code ? dossierLink(entry.dossier_code) : t("app.dash"));
    if (documentColumn) {
      cells.push(entry.document_id && entry.dossier_code
        ? h("a", { class: "code", href: `#/dossiers/${encodeURIComponent(entry.dossier_code)}?doc=${encodeURIComponent(entry.document_id)}` },
          entry.document_id)
        : entry.document_id || t("app.dash"));
    }
    if (detailColumn) {
      cells.push([detailText(entry.detail) || t("app.dash"),
        entry.client ? h("span", { class: "block muted small" }, t("access.client", { client: entry.client })) : null]);
    }
    return cells;
  });
  return table(caption, head, rows);
}

/**
 * A log that loads on demand behind a toggle button, a page at a time. `path`: the API path of the log.
 * Refusals (403, 404) leave a notice and take the button away. Returns {toggle, area}.
 */
export function logOnDemand({ path, label, caption, agencyName, deniedText, documentColumn = true }) {
  const area = h("div", { class: "access-log-area", hidden: true, id: uid("access-log") });
  const toggle = h("button", {
    type: "button", class: "button secondary small-button toggle", "aria-expanded": "false", "aria-controls": area.id,
  }, label);
  let loaded = false;
  const load = async (offset) => {
    area.setAttribute("aria-busy", "true");
    area.replaceChildren(h("p", { class: "loading" }, t("app.loading")));
    let page;
    try {
      page = await api.get(path, { limit: PANEL_PAGE, offset });
    } catch (error) {
      area.removeAttribute("aria-busy");
      if (error.status === 401) return;
      if (error.status === 403 || error.status === 404) {
        area.replaceChildren(notice(deniedText, "warning"));
        toggle.remove();
      } else {
        area.replaceChildren(errorBox(error));
      }
      return;
    }
    area.removeAttribute("aria-busy");
    loaded = true;
    area.replaceChildren();
    if (!page.count) {
      area.appendChild(h("p", { class: "muted" }, t("access.empty")));
      return;
    }
    area.appendChild(accessLogTable(page.data, { caption, agencyName, dossierColumn: false, documentColumn,
                                                 detailColumn: false }));
    if (page.count > PANEL_PAGE) area.appendChild(pager(page.count, PANEL_PAGE, offset, load));
  };
  toggle.addEventListener("click", () => {
    const opening = toggle.getAttribute("aria-expanded") !== "true";
    toggle.setAttribute("aria-expanded", opening ? "true" : "false");
    area.hidden = !opening;
    if (opening && !loaded) load(0);
  });
  return { toggle, area };
}

/** The dossier view's "Nhật ký truy cập" section, or null when the officer may not read it. */
export function dossierAccessLogPanel(env) {
  if (!mayAuditDossier(env.ctx.me, env.dossier)) return null;
  const { toggle, area } = logOnDemand({
    path: `${env.path}/access-log`, label: t("access.show"), caption: t("access.dossier_caption"),
    agencyName: env.agencyName, deniedText: t("access.denied_dossier"),
  });
  return h("section", { class: "panel", "aria-labelledby": "access-title" },
    h("h2", { id: "access-title" }, t("access.title")),
    h("p", { class: "hint" }, t("access.dossier_intro")),
    h("div", { class: "doc-actions" }, toggle), area);
}

// --- the view ------------------------------------------------------------------------------------------------

function readFilters(params) {
  const limit = Number(params.get("limit")) || 50;
  return {
    user: params.get("user") || "", agency: params.get("agency") || "", dossier: params.get("dossier") || "",
    document: params.get("document") || "", action: params.get("action") || "", since: params.get("since") || "",
    until: params.get("until") || "",
    limit: PAGE_SIZES.includes(limit) ? limit : 50,
    offset: Math.max(0, Number(params.get("offset")) || 0),
  };
}

function hashParams(filters) {
  return { ...filters, limit: filters.limit === 50 ? "" : filters.limit, offset: filters.offset || "" };
}

export async function renderAccessLog(ctx) {
  const { main, me, params, navigate } = ctx;
  main.appendChild(heading(t("access.title")));
  if (!api.hasRole(me, "auditor", "admin")) {
    main.appendChild(notice(t("access.not_allowed"), "warning"));
    return;
  }
  main.appendChild(h("p", { class: "lead" }, t("access.intro")));
  const filters = readFilters(params);
  const agencies = await api.agencyIndex().catch(() => new Map());
  if (!ctx.stillCurrent()) return;
  const agencyName = (code) => {
    const agency = agencies.get(code);
    return agency ? agency.short_name || agency.name : code;
  };

  const user = h("input", { type: "text", value: filters.user, autocomplete: "off", spellcheck: "false" });
  const agency = select([["", t("access.all_agencies")],
    ...[...agencies.values()].sort((a, b) => a.name.localeCompare(b.name, "vi")).map((a) => [a.code, `${a.name} (${a.code})`])],
  { value: filters.agency });
  const dossier = h("input", { type: "text", value: filters.dossier, autocomplete: "off", spellcheck: "false" });
  const documentId = h("input", { type: "text", value: filters.document, autocomplete: "off", spellcheck: "false" });
  const action = select([["", t("access.all_actions")], ...ACCESS_ACTIONS.map((a) => [a, accessActionLabel(a)])],
    { value: filters.action });
  const since = h("input", { type: "date", value: filters.since });
  const until = h("input", { type: "date", value: filters.until });
  const size = select(PAGE_SIZES.map((n) => [String(n), String(n)]), { value: String(filters.limit) });
  const form = h("form", { class: "filters", role: "search", "aria-label": t("list.filters") },
    field(t("access.username"), user),
    field(t("access.agency"), agency, { wide: true }),
    field(t("access.dossier"), dossier),
    field(t("access.document_id"), documentId),
    field(t("access.action"), action),
    field(t("access.since"), since),
    field(t("access.until"), until),
    field(t("page.size"), size),
    h("div", { class: "actions" },
      h("button", { type: "submit", class: "button primary" }, t("list.apply")),
      h("button", { type: "button", class: "button secondary", onclick: () => navigate("/access-log") }, t("list.reset"))));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    navigate("/access-log", hashParams({
      user: user.value.trim(), agency: agency.value, dossier: dossier.value.trim(), document: documentId.value.trim(),
      action: action.value, since: since.value, until: until.value, limit: Number(size.value), offset: 0,
    }));
  });
  main.appendChild(h("details", { class: "filter-panel", open: true }, h("summary", {}, t("list.filters")), form));

  const results = h("div", { class: "results", "aria-busy": "true" }, h("p", { class: "loading" }, t("app.loading")));
  main.appendChild(results);
  let page;
  try {
    page = await api.get("/access-log", {
      username: filters.user, agency_code: filters.agency, dossier_code: filters.dossier,
      document_id: filters.document, action: filters.action, since: filters.since, until: filters.until,
      limit: filters.limit, offset: filters.offset,
    });
  } catch (error) {
    results.removeAttribute("aria-busy");
    results.replaceChildren(errorBox(error));
    return;
  }
  results.removeAttribute("aria-busy");
  results.replaceChildren();
  if (!page.count) {
    results.appendChild(notice(t("access.empty")));
    return;
  }
  results.appendChild(accessLogTable(page.data, { caption: t("access.caption"), agencyName }));
  results.appendChild(pager(page.count, filters.limit, filters.offset,
    (offset) => navigate("/access-log", hashParams({ ...filters, offset }))));
}
