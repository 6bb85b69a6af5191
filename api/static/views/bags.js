// "Gói lưu trữ": export a dossier or an archival file as a BagIt bag (a zip), and import a bag made by another hoso.
// The API checks the archive role and scope again; an import is refused whole with a code and a message.

import * as api from "../api.js";
import { h, errorBox, field, heading, notice, onSubmit, dossierLink } from "../dom.js";
import { t } from "../i18n.js";
import { saveBlob } from "./documents.js";

function section(id, title, ...children) {
  return h("section", { class: "panel", "aria-labelledby": id }, h("h2", { id }, title), ...children);
}

function exportForm(params) {
  const code = h("input", { type: "text", maxlength: "80", value: params.get("code") || "", autocomplete: "off" });
  const status = h("div", { role: "status" });
  const submit = h("button", { type: "submit", class: "button" }, t("bags.export_submit"));
  const form = h("form", { class: "form-grid" },
    field(t("bags.code"), code, { required: true, hint: t("bags.code_hint") }), submit, status);
  onSubmit(form, {
    submit, status,
    check: () => (code.value.trim() ? null : [t("bags.code_missing"), code]),
    send: async () => {
      const wanted = code.value.trim();
      const { data } = await api.request(`/archive/exports/${encodeURIComponent(wanted)}`, { method: "POST",
        raw: true });
      saveBlob(data, `${wanted}.bag.zip`);
      status.replaceChildren(notice(t("bags.exported"), "success"));
    },
  });
  return form;
}

function importForm() {
  const file = h("input", { type: "file", accept: ".zip,application/zip" });
  const status = h("div", { role: "status" });
  const result = h("div", { "aria-live": "polite" });
  const submit = h("button", { type: "submit", class: "button" }, t("bags.import_submit"));
  const form = h("form", { class: "form-grid" },
    field(t("bags.file"), file, { required: true, hint: t("bags.file_hint") }), submit, status);
  onSubmit(form, {
    submit, status,
    check: () => (file.files.length ? null : [t("bags.file_missing"), file]),
    send: async () => {
      const body = new FormData();
      body.append("file", file.files[0], file.files[0].name);
      result.replaceChildren();
      const { data } = await api.request("/archive/imports", { method: "POST", multipart: body });
      const items = data.dossier_codes.map((code) => h("li", {}, dossierLink(code)));
      result.replaceChildren(notice(t("bags.imported"), "success"),
        data.file_code ? h("p", {}, `${t("bags.file_code")}: ${data.file_code}`) : "",
        h("ul", {}, ...items));
    },
    describe: (error) => errorBox(error, t("bags.refused")),
  });
  return h("div", {}, form, result);
}

export async function renderBags(ctx) {
  const { main, params } = ctx;
  if (!api.hasRole(ctx.me, "archivist", "admin", "leader")) {
    main.append(heading(t("bags.heading")), notice(t("archive.not_allowed"), "info"));
    return;
  }
  main.append(heading(t("bags.heading")), h("p", { class: "lead" }, t("bags.intro")),
    section("bags-export", t("bags.export"), h("p", {}, t("bags.export_intro")), exportForm(params)),
    section("bags-import", t("bags.import"), h("p", {}, t("bags.import_intro")), importForm()));
}
