// "Được chia sẻ": what other agencies shared with the officer's agency (GET /shares/received). A whole
// dossier opens in the dossier view; a share of some documents gives only those documents, so they are
// listed here (on demand: reading them is written to the access log) with their downloads.

import * as api from "../api.js";
import { h, dossierLink, errorBox, heading, notice, pager, select, table, timeElement, field } from "../dom.js";
import { docTypeLabel, t } from "../i18n.js";
import { saveBlob } from "./documents.js";
import { shareScope, shareStatusBadge } from "./shares.js";

const LIMIT = 50;

export async function renderShared(ctx) {
  const { main, params, navigate } = ctx;
  const all = params.get("all") === "1";
  const offset = Math.max(0, Number(params.get("offset")) || 0);
  main.appendChild(heading(t("shared.title")));
  main.appendChild(h("p", { class: "lead" }, t("shared.intro")));

  const which = select([["active", t("shared.active_only")], ["all", t("shared.all")]], { value: all ? "all" : "active" });
  const form = h("form", { class: "filters compact", "aria-label": t("list.filters") },
    h("fieldset", { class: "inline" }, h("legend", {}, t("list.filters")),
      field(t("shared.which"), which),
      h("div", { class: "actions" }, h("button", { type: "submit", class: "button primary" }, t("list.apply")))));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    navigate("/shared", { all: which.value === "all" ? "1" : "" });
  });
  main.appendChild(form);

  const results = h("div", { class: "results", "aria-busy": "true" }, h("p", { class: "loading" }, t("app.loading")));
  main.appendChild(results);
  let page;
  let agencies;
  try {
    [page, agencies] = await Promise.all([
      api.get("/shares/received", { active: all ? "false" : "true", limit: LIMIT, offset }),
      api.agencyIndex().catch(() => new Map()),
    ]);
  } catch (error) {
    results.removeAttribute("aria-busy");
    results.replaceChildren(errorBox(error));
    return;
  }
  if (!ctx.stillCurrent()) return;
  results.removeAttribute("aria-busy");
  results.replaceChildren();
  if (!page.count) {
    results.appendChild(notice(all ? t("shared.empty_all") : t("shared.empty")));
    return;
  }
  const agencyName = (code) => (agencies.get(code) ? agencies.get(code).name : code);
  results.appendChild(table(t("shared.caption"), [
    t("access.dossier"), t("shared.grantor"), t("shares.purpose"), t("shares.scope"), t("shares.granted"),
    t("shares.expires"), t("field.state"),
  ], page.data.map((share) => [
    share.whole_dossier && share.status === "active" ? dossierLink(share.dossier_code)
      : h("span", { class: "code" }, share.dossier_code),
    agencyName(share.grantor_agency_code),
    share.purpose,
    [shareScope(share), !share.whole_dossier && share.status === "active" ? sharedDocuments(share) : null],
    [share.granted_by, h("br"), timeElement(share.granted_at)],
    timeElement(share.expires_at),
    shareStatusBadge(share.status),
  ])));
  results.appendChild(pager(page.count, LIMIT, offset, (next) => navigate("/shared", { all: all ? "1" : "", offset: next || "" })));
}

/** "Xem tài liệu": the shared documents' titles, each with a download of its original. */
function sharedDocuments(share) {
  const area = h("div", { class: "shared-documents", hidden: true, id: `shared-docs-${share.id}` });
  const toggle = h("button", {
    type: "button", class: "button secondary small-button toggle", "aria-expanded": "false", "aria-controls": area.id,
  }, t("shared.show_documents"));
  let loaded = false;
  toggle.addEventListener("click", async () => {
    const opening = toggle.getAttribute("aria-expanded") !== "true";
    toggle.setAttribute("aria-expanded", opening ? "true" : "false");
    area.hidden = !opening;
    if (!opening || loaded) return;
    loaded = true;
    area.replaceChildren(h("p", { class: "loading" }, t("app.loading")));
    const found = await Promise.all(share.document_ids.map((id) => api.get(`/documents/${encodeURIComponent(id)}`)
      .catch((error) => error)));
    area.replaceChildren(h("ul", { class: "plain-list" }, found.map((doc) => {
      if (doc instanceof Error) return h("li", {}, errorBox(doc));
      const message = h("div", { class: "doc-message" });
      const download = h("button", { type: "button", class: "button secondary small-button" }, t("docs.download"));
      download.addEventListener("click", async () => {
        download.disabled = true;
        message.replaceChildren();
        try {
          const { data: blob } = await api.request(`/documents/${encodeURIComponent(doc.id)}/original`, { raw: true });
          saveBlob(blob, doc.filename);
        } catch (error) {
          if (error.status !== 401) message.replaceChildren(errorBox(error));
        } finally {
          download.disabled = false;
        }
      });
      return h("li", { class: "shared-document" },
        h("strong", {}, doc.title || doc.filename), " ",
        h("span", { class: "muted small" }, docTypeLabel(doc.document_type)), " ", download, message);
    })));
  });
  return h("div", { class: "shared-documents-wrap" }, toggle, area);
}
