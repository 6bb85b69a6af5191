// "Tiếp nhận hồ sơ": the intake form. API errors are shown above the form (code + message) and, when
// they point at a field, next to that field.

import * as api from "../api.js";
import { canReceive } from "../api.js";
import {
  h, dossierLink, errorBox, field, formatDateTime, formatNumber, heading, notice, select, validationMessage,
} from "../dom.js";
import { channelLabel, kindLabel, t } from "../i18n.js";

const KINDS = ["person", "organisation"];
const CHANNELS = ["counter", "online", "post"];

// Domain error codes that concern one field (the API's detail does not always carry a location).
const FIELD_BY_CODE = {
  applicant_name_required: "applicant.name",
  invalid_id_number: "applicant.id_number",
  unknown_procedure: "procedure_code",
  procedure_not_configured: "procedure_code",
  procedure_not_received_here: "procedure_code",
};

export async function renderIntake(ctx) {
  const { main, me } = ctx;
  main.appendChild(heading(t("intake.title")));
  if (!canReceive(me)) {
    main.appendChild(notice(t("intake.not_allowed"), "warning"));
    return;
  }
  main.appendChild(h("p", { class: "lead" }, t("intake.intro")));

  const { data } = await api.get("/procedures", { agency_code: me.agency_code, published: "true" });
  const procedures = data.filter((p) => p.configured).sort((a, b) => a.name.localeCompare(b.name, "vi"));
  if (procedures.length === 0) {
    main.appendChild(notice(t("intake.no_procedures"), "warning"));
    return;
  }
  main.appendChild(intakeForm(ctx, procedures));
}

function intakeForm(ctx, procedures) {
  const byCode = new Map(procedures.map((p) => [p.code, p]));
  const controls = {
    procedure_code: select([["", t("intake.choose_procedure")], ...procedures.map((p) => [p.code, `${p.name} (${p.code})`])]),
    "applicant.kind": select(KINDS.map((k) => [k, kindLabel(k)]), { value: "person" }),
    "applicant.name": h("input", { type: "text", maxlength: "200", autocomplete: "off" }),
    "applicant.id_number": h("input", { type: "text", maxlength: "20", inputmode: "numeric", autocomplete: "off" }),
    "applicant.phone": h("input", { type: "tel", maxlength: "30", autocomplete: "off" }),
    "applicant.email": h("input", { type: "email", maxlength: "200", autocomplete: "off" }),
    "applicant.address": h("input", { type: "text", maxlength: "500", autocomplete: "off" }),
    channel: select(CHANNELS.map((c) => [c, channelLabel(c)]), { value: "counter" }),
    subject: h("textarea", { rows: "3", maxlength: "1000" }),
  };
  const procedureInfo = h("p", { class: "hint", "aria-live": "polite" });
  controls.procedure_code.addEventListener("change", () => {
    const chosen = byCode.get(controls.procedure_code.value);
    procedureInfo.textContent = chosen ? t("intake.procedure_days", { days: formatNumber(chosen.processing_days, 1) }) : "";
  });
  const idField = field(t("field.id_number_person"), controls["applicant.id_number"], { required: true });
  const idLabel = idField.querySelector("label");
  controls["applicant.kind"].addEventListener("change", () => {
    idLabel.firstChild.textContent = controls["applicant.kind"].value === "person"
      ? t("field.id_number_person") : t("field.id_number_org");
  });

  const status = h("div", { class: "form-status", tabindex: "-1" });
  const submit = h("button", { type: "submit", class: "button primary" }, t("intake.submit"));
  const procedureField = field(t("field.procedure"), controls.procedure_code, { required: true, wide: true });
  procedureField.appendChild(procedureInfo);

  const form = h("form", { class: "form-grid", novalidate: true },
    h("fieldset", {}, h("legend", {}, t("intake.procedure_section")), procedureField,
      field(t("field.channel"), controls.channel)),
    h("fieldset", {}, h("legend", {}, t("intake.applicant_section")),
      field(t("field.applicant_kind"), controls["applicant.kind"]),
      field(t("field.applicant_name"), controls["applicant.name"], { required: true, wide: true }),
      idField,
      field(t("field.phone"), controls["applicant.phone"]),
      field(t("field.email"), controls["applicant.email"]),
      field(t("field.address"), controls["applicant.address"], { wide: true })),
    h("fieldset", {}, h("legend", {}, t("intake.dossier_section")),
      field(t("field.subject"), controls.subject, { wide: true })),
    h("div", { class: "actions" }, submit));

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    status.replaceChildren();
    const value = (name) => controls[name].value.trim();
    const body = {
      procedure_code: value("procedure_code"),
      applicant: {
        kind: value("applicant.kind"), name: value("applicant.name"), id_number: value("applicant.id_number"),
        phone: value("applicant.phone") || null, email: value("applicant.email") || null,
        address: value("applicant.address") || null,
      },
      channel: value("channel"),
      subject: value("subject"),
    };
    submit.disabled = true;
    submit.textContent = t("intake.busy");
    try {
      const { data: dossier } = await api.request("/dossiers", { method: "POST", json: body });
      form.replaceWith(created(ctx, dossier));
      status.replaceChildren();
    } catch (error) {
      if (error.status === 401) return;
      status.appendChild(errorBox(error, t("intake.errors_title")));
      const invalid = markFieldErrors(error, controls);
      (invalid || status).focus();
    } finally {
      submit.disabled = false;
      submit.textContent = t("intake.submit");
    }
  });
  return h("div", {}, status, form);
}

function created(ctx, dossier) {
  const box = h("section", { class: "alert alert-success result-card", role: "status", "aria-labelledby": "created-title" },
    h("h2", { id: "created-title" }, t("intake.done_title")),
    h("dl", { class: "facts" },
      h("dt", {}, t("intake.done_code")), h("dd", {}, dossierLink(dossier.code)),
      h("dt", {}, t("intake.done_due")), h("dd", {}, formatDateTime(dossier.extended_due_at || dossier.due_at))),
    h("div", { class: "actions" },
      h("a", { class: "button primary", href: `#/dossiers/${encodeURIComponent(dossier.code)}` }, t("intake.open_created")),
      h("button", { type: "button", class: "button secondary", onclick: () => ctx.navigate("/intake") }, t("intake.another"))));
  window.setTimeout(() => box.querySelector("h2").focus(), 0);
  box.querySelector("h2").setAttribute("tabindex", "-1");
  return box;
}

function clearFieldErrors(form) {
  for (const message of form.querySelectorAll(".field-error")) message.remove();
  for (const control of form.querySelectorAll("[aria-invalid]")) {
    control.removeAttribute("aria-invalid");
    const describedBy = (control.getAttribute("aria-describedby") || "").split(" ")
      .filter((id) => id && !id.endsWith("-error")).join(" ");
    if (describedBy) control.setAttribute("aria-describedby", describedBy);
    else control.removeAttribute("aria-describedby");
  }
}

/** Puts each error next to its field: request validation (detail.errors[].loc) or a known domain code. */
function markFieldErrors(error, controls) {
  const found = [];
  for (const item of (error.detail && error.detail.errors) || []) {
    const name = (item.loc || []).filter((part) => part !== "body").join(".");
    if (controls[name]) found.push([name, validationMessage(item)]);
  }
  if (FIELD_BY_CODE[error.code]) found.push([FIELD_BY_CODE[error.code], error.message]);
  let first = null;
  for (const [name, message] of found) {
    const control = controls[name];
    control.setAttribute("aria-invalid", "true");
    const id = `${control.id}-error`;
    if (!document.getElementById(id)) {
      control.insertAdjacentElement("afterend", h("p", { class: "field-error", id }, message));
      const describedBy = [control.getAttribute("aria-describedby"), id].filter(Boolean).join(" ");
      control.setAttribute("aria-describedby", describedBy);
    }
    first = first || control;
  }
  return first;
}
