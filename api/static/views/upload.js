// "Tải tài liệu lên": the upload form of the documents panel (views/documents.js) — multipart, the file
// checked before sending (extension, not empty), the document's details, the "is a result" flag, and the
// API's refusals next to the file field or as a link to the duplicate already in the dossier.

import * as api from "../api.js";
import { h, errorBox, field, formatBytes, notice, select, uid } from "../dom.js";
import { docTypeLabel, t } from "../i18n.js";

export const DOCUMENT_TYPES = ["application_form", "id_card_copy", "land_certificate", "decision", "other"];
const ACCEPT = ".pdf,.tif,.tiff,.jpg,.jpeg,.png";
const EXTENSIONS = ACCEPT.split(",");

// Upload refusals with a message of the UI's own (the API's message is kept for any other code).
const UPLOAD_MESSAGES = {
  empty_file: () => t("upload.err_empty_file"),
  type_mismatch: () => t("upload.err_type_mismatch"),
  unsupported_type: () => t("upload.err_unsupported_type"),
  invalid_filename: () => t("upload.err_invalid_filename"),
  file_too_large: (error) => (error.detail && error.detail.max_bytes
    ? t("upload.err_file_too_large", { max: formatBytes(error.detail.max_bytes) })
    : t("upload.err_file_too_large_plain")),
  not_the_holder: () => t("upload.err_not_the_holder"),
};
const FILE_ERRORS = ["empty_file", "type_mismatch", "unsupported_type", "invalid_filename", "file_too_large"];

/**
 * The "Tải tài liệu lên" form. `panel`: {path, dossierCode, alive(), documents (id → document),
 * focusCard(id), added(document)} from the documents panel. `viaShare`: the officer's agency attaches through
 * a share that allows it (its results, usually).
 */
export function uploadForm(panel, { viaShare = false } = {}) {
  const { alive } = panel;
  const controls = {
    file: h("input", { type: "file", accept: ACCEPT, name: "file" }),
    document_type: select(DOCUMENT_TYPES.map((type) => [type, docTypeLabel(type)]), { value: "other", name: "document_type" }),
    title: h("input", { type: "text", maxlength: "500", name: "title", autocomplete: "off" }),
    number_notation: h("input", { type: "text", maxlength: "100", name: "number_notation", autocomplete: "off" }),
    issuing_organ: h("input", { type: "text", maxlength: "300", name: "issuing_organ", autocomplete: "off" }),
    issued_date: h("input", { type: "date", name: "issued_date" }),
    signer: h("input", { type: "text", maxlength: "200", name: "signer", autocomplete: "off" }),
    subject: h("textarea", { rows: "2", maxlength: "2000", name: "subject" }),
    is_result: h("input", { type: "checkbox", name: "is_result", id: uid("upload-result"), checked: viaShare }),
  };
  controls.file.addEventListener("change", () => {
    const file = controls.file.files[0];
    controls.title.placeholder = file ? file.name : "";
    clearInvalid();
  });
  const formStatus = h("div", { class: "form-status", tabindex: "-1" });
  const submit = h("button", { type: "submit", class: "button primary" }, t("upload.submit"));
  const form = h("form", { class: "form-grid compact upload-form", novalidate: true },
    field(t("upload.file"), controls.file, { required: true, wide: true, hint: t("upload.file_hint") }),
    field(t("docs.field_type"), controls.document_type),
    field(t("upload.doc_title"), controls.title, { wide: true, hint: t("upload.title_hint") }),
    checkboxField(controls.is_result, t("upload.is_result"), t("upload.is_result_hint")),
    h("fieldset", {}, h("legend", {}, t("upload.meta_section")),
      field(t("docs.field_number"), controls.number_notation, { hint: t("upload.number_hint") }),
      field(t("docs.field_organ"), controls.issuing_organ),
      field(t("docs.field_issued"), controls.issued_date),
      field(t("docs.field_signer"), controls.signer),
      field(t("docs.field_subject"), controls.subject, { wide: true })),
    h("div", { class: "actions" }, submit));

  const fileHint = controls.file.getAttribute("aria-describedby");
  const clearInvalid = () => {
    controls.file.removeAttribute("aria-invalid");
    controls.file.setAttribute("aria-describedby", fileHint);
  };
  const fail = (error, control = null) => {
    const box = uploadError(error);
    box.id = uid("upload-error");
    formStatus.replaceChildren(box);
    if (control) {
      control.setAttribute("aria-invalid", "true");
      control.setAttribute("aria-describedby", `${fileHint} ${box.id}`);
      control.focus();
    } else {
      formStatus.focus();
    }
  };

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    formStatus.replaceChildren();
    clearInvalid();
    const file = controls.file.files[0];
    if (!file) {
      fail({ message: t("upload.need_file") }, controls.file);
      return;
    }
    const lower = file.name.toLowerCase();
    if (!EXTENSIONS.some((extension) => lower.endsWith(extension))) {
      fail({ code: "unsupported_type", message: t("upload.err_unsupported_type") }, controls.file);
      return;
    }
    if (file.size === 0) {
      fail({ code: "empty_file", message: t("upload.err_empty_file") }, controls.file);
      return;
    }
    const body = new FormData();
    body.append("file", file, file.name);
    body.append("document_type", controls.document_type.value);
    body.append("title", controls.title.value.trim());
    body.append("is_result", controls.is_result.checked ? "true" : "false");
    for (const name of ["number_notation", "issuing_organ", "issued_date", "signer", "subject"]) {
      const value = controls[name].value.trim();
      if (value) body.append(name, value);
    }
    submit.disabled = true;
    submit.textContent = t("upload.busy");
    form.setAttribute("aria-busy", "true");
    try {
      const { data: doc } = await api.request(`${panel.path}/documents`, { method: "POST", multipart: body });
      if (!alive()) return;
      form.reset();
      controls.document_type.value = "other";
      controls.is_result.checked = viaShare;
      controls.title.placeholder = "";
      panel.added(doc);
      formStatus.replaceChildren(notice(t("upload.done", { title: doc.title }), "success"));
    } catch (error) {
      if (error.status === 401 || !alive()) return;
      if (error.status === 409 && error.code === "duplicate_document") {
        formStatus.replaceChildren(duplicateNotice(panel, error.detail && error.detail.document_id));
        formStatus.focus();
      } else {
        fail(error, FILE_ERRORS.includes(error.code) ? controls.file : null);
      }
    } finally {
      submit.disabled = false;
      submit.textContent = t("upload.submit");
      form.removeAttribute("aria-busy");
    }
  });

  return h("details", { class: "upload" },
    h("summary", {}, t("upload.title")),
    h("p", { class: "hint" }, t("upload.intro")),
    viaShare ? h("p", { class: "hint" }, t("upload.via_share")) : null,
    formStatus, form);
}

function uploadError(error) {
  const localized = UPLOAD_MESSAGES[error.code];
  const message = localized ? localized(error) : error.message;
  return errorBox({ message, code: error.code, detail: error.detail }, t("upload.errors_title"));
}

/** 409 duplicate_document: says so and links to the document already in the dossier. */
function duplicateNotice(panel, existingId) {
  const box = h("div", { class: "alert alert-warning", role: "alert" },
    h("p", { class: "alert-title" }, t("upload.duplicate")));
  if (existingId) {
    const href = `#/dossiers/${encodeURIComponent(panel.dossierCode)}?doc=${encodeURIComponent(existingId)}`;
    const existing = panel.documents.get(existingId);
    const link = h("a", { href }, existing
      ? t("upload.duplicate_open_named", { title: existing.title }) : t("upload.duplicate_open"));
    link.addEventListener("click", (event) => {
      if (panel.focusCard(existingId)) event.preventDefault();
    });
    box.appendChild(h("p", {}, link));
  }
  return box;
}

/** A checkbox with its label beside it and a hint below, tied to it by aria-describedby. */
function checkboxField(box, label, hint) {
  const hintId = `${box.id}-hint`;
  box.setAttribute("aria-describedby", hintId);
  return h("div", { class: "field wide" },
    h("div", { class: "field checkbox" }, box, h("label", { for: box.id }, label)),
    h("p", { class: "hint", id: hintId }, hint));
}
