// "Tiếp nhận hồ sơ": the intake form. API errors are shown above the form (code + message) and, when
// they point at a field, next to that field. A procedure that links others ("3 in 1") lists them as
// checkboxes (all checked): each one checked opens a linked dossier at its own agency. After intake: the
// receipt secret (shown this once), the linked dossiers opened, and printing the receipt.

import * as api from "../api.js";
import { canReceive } from "../api.js";
import {
  h, dossierLink, errorBox, field, formatDateTime, formatNumber, heading, notice, select, table, timeElement, uid,
  validationMessage,
} from "../dom.js";
import { channelLabel, kindLabel, t } from "../i18n.js";
import { procedureCell } from "./dossiers.js";
import { printReceipt } from "./pdf.js";

const KINDS = ["person", "organisation"];
const CHANNELS = ["counter", "online", "post"];

// Domain error codes that concern one field (the API's detail does not always carry a location).
const FIELD_BY_CODE = {
  applicant_name_required: "applicant.name",
  invalid_id_number: "applicant.id_number",
  unknown_procedure: "procedure_code",
  procedure_not_configured: "procedure_code",
  procedure_not_received_here: "procedure_code",
  unknown_linked_procedure: "linked_procedures",
  linked_procedure_has_no_desk: "linked_procedures",
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
  const [catalogue, agencies] = await Promise.all([
    api.procedureIndex().catch(() => new Map()),
    api.agencyIndex().catch(() => new Map()),
  ]);
  if (!ctx.stillCurrent()) return;
  main.appendChild(intakeForm(ctx, procedures, { catalogue, agencies }));
}

/** Where a linked procedure's dossier is opened: this desk when the procedure names no agency (or names it),
 * else the first operating agency it names — as the API decides. */
function linkedAgencyName(procedure, me, agencies) {
  const named = (procedure && procedure.receiving_agencies) || [];
  const code = !named.length || named.includes(me.agency_code) ? me.agency_code
    : named.find((c) => agencies.has(c) && agencies.get(c).status === "active") || named[0];
  const agency = agencies.get(code);
  return agency ? agency.name : code;
}

/** The linked procedures of `procedure` as checkboxes, all checked. Returns {box, chosen(), has()}. */
function linkedChoices(ctx, { catalogue, agencies }) {
  const box = h("fieldset", { class: "linked-choices", id: "linked_procedures", tabindex: "-1", hidden: true });
  let codes = [];
  const show = (procedure) => {
    codes = (procedure && procedure.linked_procedures) || [];
    box.hidden = codes.length === 0;
    box.replaceChildren(h("legend", {}, t("intake.linked_section")),
      h("p", { class: "hint wide-row" }, t("intake.linked_hint")));
    for (const code of codes) {
      const linked = catalogue.get(code);
      const check = h("input", { type: "checkbox", value: code, checked: true, id: uid("linked") });
      const agencyId = `${check.id}-agency`;
      check.setAttribute("aria-describedby", agencyId);
      box.appendChild(h("div", { class: "field checkbox wide-row linked-choice" }, check,
        h("div", {},
          h("label", { for: check.id }, linked ? `${linked.name} (${code})` : code),
          h("p", { class: "hint", id: agencyId }, t("intake.linked_agency", {
            agency: linkedAgencyName(linked, ctx.me, agencies),
          })))));
    }
  };
  const chosen = () => [...box.querySelectorAll("input[type=checkbox]:checked")].map((check) => check.value);
  return { box, show, chosen, has: () => codes.length > 0 };
}

function intakeForm(ctx, procedures, lookups) {
  const byCode = new Map(procedures.map((p) => [p.code, p]));
  const linked = linkedChoices(ctx, lookups);
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
    linked.show(chosen);
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
    linked.box,
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
    if (linked.has()) body.linked_procedures = linked.chosen();
    submit.disabled = true;
    submit.textContent = t("intake.busy");
    try {
      const { data: dossier } = await api.request("/dossiers", { method: "POST", json: body });
      form.replaceWith(created(ctx, dossier, lookups));
      status.replaceChildren();
    } catch (error) {
      if (error.status === 401) return;
      status.appendChild(errorBox(error, t("intake.errors_title")));
      const invalid = markFieldErrors(error, { ...controls, linked_procedures: linked.box });
      (invalid || status).focus();
    } finally {
      submit.disabled = false;
      submit.textContent = t("intake.submit");
    }
  });
  return h("div", {}, status, form);
}

function created(ctx, dossier, { catalogue, agencies }) {
  const printStatus = h("div", { class: "form-status" });
  const secret = receiptSecret(dossier.receipt_secret);
  const printButton = h("button", { type: "button", class: "button secondary", "aria-describedby": "receipt-print-hint" },
    t("receipt.print"));
  printButton.addEventListener("click", async () => {
    if (await printReceipt(dossier.code, printButton, printStatus)) secret.replaced();
  });
  const box = h("section", { class: "alert alert-success result-card", role: "status", "aria-labelledby": "created-title" },
    h("h2", { id: "created-title" }, t("intake.done_title")),
    h("dl", { class: "facts" },
      h("dt", {}, t("intake.done_code")), h("dd", {}, dossierLink(dossier.code)),
      h("dt", {}, t("intake.done_due")), h("dd", {}, formatDateTime(dossier.extended_due_at || dossier.due_at))),
    secret.element,
    linkedCreated(dossier, catalogue, agencies),
    printStatus,
    h("div", { class: "actions" },
      printButton,
      h("a", { class: "button primary", href: `#/dossiers/${encodeURIComponent(dossier.code)}` }, t("intake.open_created")),
      h("button", { type: "button", class: "button secondary", onclick: () => ctx.navigate("/intake") }, t("intake.another"))),
    h("p", { class: "hint", id: "receipt-print-hint" }, t("receipt.print_hint")));
  window.setTimeout(() => box.querySelector("h2").focus(), 0);
  box.querySelector("h2").setAttribute("tabindex", "-1");
  return box;
}

/** The receipt secret, large, with what it is for. `replaced()` marks it void once a receipt was printed. */
function receiptSecret(value) {
  const note = h("p", { class: "secret-note" }, t("receipt.secret_once"), " ",
    h("a", { href: "/tra-cuu", target: "_blank", rel: "noopener" }, t("receipt.lookup_link")));
  const code = h("p", { class: "secret", id: "receipt-secret", translate: "no" }, value || t("app.dash"));
  const element = h("section", { class: "secret-box", "aria-labelledby": "receipt-secret-title" },
    h("h3", { id: "receipt-secret-title" }, t("receipt.secret_title")), code, note);
  const replaced = () => {
    element.classList.add("secret-void");
    note.replaceChildren(t("receipt.secret_replaced"));
  };
  return { element, replaced };
}

/** The linked dossiers opened with this one ("3 in 1"), or nothing. */
function linkedCreated(dossier, catalogue, agencies) {
  const linked = dossier.group ? dossier.group.dossiers : [];
  if (!linked.length) return null;
  const agencyName = (code) => (agencies.get(code) ? agencies.get(code).name : code);
  return h("section", { class: "linked-created", "aria-labelledby": "linked-created-title" },
    h("h3", { id: "linked-created-title" }, t("intake.linked_created", { n: formatNumber(linked.length, 0) })),
    table(t("intake.linked_caption"), [t("field.code"), t("field.procedure"), t("field.receiving_agency"),
      t("field.due_at")], linked.map((item) => [
      dossierLink(item.code), procedureCell(item.procedure_code, catalogue), agencyName(item.receiving_agency_code),
      timeElement(item.due_at),
    ])));
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
