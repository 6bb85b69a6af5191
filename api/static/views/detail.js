// Dossier detail: every field, why the reader sees it, the "move to" panel (If-Match), history, control slip
// PDF, the intake receipt, the extension letter form for late dossiers, the dossier's documents
// (views/documents.js), a group dossier's linked dossiers (views/linked.js), its shares (views/shares.js) and
// its access log (views/access_log.js).
// #/dossiers/<code>?doc=<id>&page=<n> opens that document's text at that page.

import * as api from "../api.js";
import {
  h, errorBox, field, formatDateTime, formatNumber, heading, lateBadge, notice, select, stateBadge, table, timeElement,
  vietnamLocalToIso,
} from "../dom.js";
import { channelLabel, holdScopeLabel, kindLabel, partyLabel, stateLabel, t, timelinessLabel } from "../i18n.js";
import { dossierAccessLogPanel } from "./access_log.js";
import { documentsPanel } from "./documents.js";
import { accessReasonLine, groupPanel, parentNotice } from "./linked.js";
import { mayPrintReceipt, openPdf, printReceipt } from "./pdf.js";
import { sharesPanel } from "./shares.js";

const TERMINAL = ["refused", "withdrawn", "stopped", "result_returned"];

export async function renderDossierDetail(ctx, message = null) {
  const { main, code } = ctx;
  const path = `/dossiers/${encodeURIComponent(code)}`;
  const [dossierAnswer, history, extensions, shares, agencies, procedures] = await Promise.all([
    api.request(path),
    api.get(`${path}/history`).catch((error) => error),
    api.get(`${path}/extensions`).catch((error) => error),
    api.get(`${path}/shares`).catch((error) => error),
    api.agencyIndex().catch(() => new Map()),
    api.procedureIndex().catch(() => new Map()),
  ]);
  if (!ctx.stillCurrent()) return;
  const dossier = dossierAnswer.data;
  const etag = dossierAnswer.etag || `"${dossier.version}"`;
  const agencyName = (agencyCode) => {
    const agency = agencyCode ? agencies.get(agencyCode) : null;
    return agency ? agency.name : agencyCode || t("app.dash");
  };
  // Reads the dossier again (new ETag) and redraws the page with `note` on top. Never throws.
  const reload = async (note) => {
    try {
      await renderDossierDetail(ctx, note);
    } catch (error) {
      if (error.status !== 401 && ctx.stillCurrent()) main.replaceChildren(errorBox(error));
      return;
    }
    const title = main.querySelector("h1");
    if (title && ctx.stillCurrent()) title.focus();
  };
  const env = { ctx, dossier, etag, path, agencyName, reload };

  // A redraw replaces the documents panel: the old one stops polling and frees its thumbnails.
  if (ctx.disposeDocuments) ctx.disposeDocuments();
  const focusDocument = ctx.documentLinkUsed ? null : ctx.params.get("doc");
  ctx.documentLinkUsed = true; // only the first render follows the link; reloads keep the page where it is
  const documents = documentsPanel(env, { documentId: focusDocument, page: Number(ctx.params.get("page")) || null });
  ctx.disposeDocuments = documents.dispose;
  ctx.onLeave(documents.dispose);

  main.replaceChildren();
  main.appendChild(h("p", { class: "breadcrumb" }, h("a", { href: "#/dossiers" }, t("app.back_to_list"))));
  main.appendChild(h("div", { class: "title-row" },
    heading(t("detail.title", { code: dossier.code })), stateBadge(dossier.state), lateBadge(dossier.overdue_days),
    holdBadge(dossier.holds)));
  const held = holdNotice(dossier.holds);
  if (held) main.appendChild(held);
  const reason = accessReasonLine(dossier);
  if (reason) main.appendChild(reason);
  const parent = parentNotice(dossier);
  if (parent) main.appendChild(parent);

  const status = h("div", { class: "page-status" });
  if (message) status.appendChild(message);
  main.appendChild(status);
  main.appendChild(toolbar(env, status));

  const procedure = procedures.get(dossier.procedure_code);
  const applicant = dossier.applicant;
  main.appendChild(h("div", { class: "cards" },
    card(t("detail.general"), [
      [t("field.code"), dossier.code],
      [t("field.procedure"), procedure ? `${procedure.name} (${dossier.procedure_code})` : dossier.procedure_code],
      [t("field.state"), stateLabel(dossier.state)],
      [t("field.channel"), channelLabel(dossier.channel)],
      [t("field.subject"), dossier.subject || t("app.dash")],
      [t("field.receiving_agency"), agencyName(dossier.receiving_agency_code)],
      [t("field.holder_agency"), agencyName(dossier.holder_agency_code)],
      [t("field.holder_party"), partyLabel(dossier.holder_party)],
      [t("field.participants"), dossier.participant_agencies.map(agencyName).join("; ")],
      [t("field.linked_agencies"), (dossier.linked_agencies || []).map(agencyName).join("; ") || t("app.dash")],
      [t("field.version"), String(dossier.version)],
    ]),
    card(t("detail.applicant"), [
      [t("field.applicant_kind"), kindLabel(applicant.kind)],
      [t("field.applicant_name"), applicant.name],
      [t("field.id_number"), applicant.id_number],
      [t("field.phone"), applicant.phone || t("app.dash")],
      [t("field.email"), applicant.email || t("app.dash")],
      [t("field.address"), applicant.address || t("app.dash")],
    ]),
    card(t("detail.dates"), [
      [t("field.received_at"), timeElement(dossier.received_at)],
      [t("field.due_at"), timeElement(dossier.due_at)],
      [t("field.extended_due_at"), timeElement(dossier.extended_due_at)],
      [t("field.step_due_at"), timeElement(dossier.step_due_at)],
      [t("field.paused_at"), timeElement(dossier.paused_at)],
      [t("field.resolved_at"), timeElement(dossier.resolved_at)],
      [t("field.completed_at"), timeElement(dossier.completed_at)],
      [t("field.overdue"), dossier.late ? lateBadge(dossier.overdue_days) : t("field.not_late")],
    ])));

  const group = groupPanel(dossier, procedures, agencyName);
  if (group) main.appendChild(group);
  main.appendChild(await movePanel(env));
  const extensionSection = extensionPanel(env, extensions);
  if (extensionSection) main.appendChild(extensionSection);
  main.appendChild(documents.section);
  const sharing = sharesPanel(env, shares, { documents: documents.current, documentsLoaded: documents.loaded });
  if (sharing) main.appendChild(sharing);
  main.appendChild(historySection(env, history));
  const accessLog = dossierAccessLogPanel(env);
  if (accessLog) main.appendChild(accessLog);
}

// A legal hold (đóng băng) freezes the dossier: the badge by the title, and a notice naming each hold and why.
function holdBadge(holds) {
  if (!holds || !holds.length) return null;
  return h("span", { class: "badge late hold", title: t("hold.badge_title") }, t("hold.badge"));
}

function holdNotice(holds) {
  if (!holds || !holds.length) return null;
  return h("div", { class: "alert alert-warning", role: "note" },
    h("strong", {}, t("hold.notice")),
    h("ul", {}, ...holds.map((hold) => h("li", {},
      `${holdScopeLabel(hold.scope)} ${hold.target} — ${hold.reason} (${hold.placed_by}, ${formatDateTime(hold.placed_at)})`))));
}

function card(title, rows) {
  return h("section", { class: "card" }, h("h2", {}, title),
    h("dl", { class: "facts" }, rows.map(([label, value]) => [h("dt", {}, label), h("dd", {}, value)])));
}

function toolbar(env, status) {
  const slipButton = h("button", { type: "button", class: "button secondary" }, t("detail.slip"));
  slipButton.addEventListener("click", () => openPdf({
    path: `${env.path}/control-slip.pdf`, button: slipButton, label: t("detail.slip"), busyLabel: t("detail.slip_busy"),
    status, filename: `phieu-kiem-soat-${env.dossier.code}.pdf`, blockedText: t("detail.slip_blocked"),
    openText: t("detail.slip_open"),
  }));
  const bar = h("div", { class: "toolbar" }, slipButton);
  if (mayPrintReceipt(env.ctx.me, env.dossier)) {
    const receiptButton = h("button", { type: "button", class: "button secondary", "aria-describedby": "receipt-hint" },
      t("receipt.print"));
    receiptButton.addEventListener("click", () => printReceipt(env.dossier.code, receiptButton, status));
    bar.append(receiptButton, h("p", { class: "hint toolbar-hint", id: "receipt-hint" }, t("receipt.reprint_hint")));
  }
  bar.appendChild(h("button", { type: "button", class: "button secondary", onclick: () => env.reload(null) },
    t("detail.reload")));
  return bar;
}


async function movePanel(env) {
  const { dossier } = env;
  const section = h("section", { class: "panel", "aria-labelledby": "move-title" }, h("h2", { id: "move-title" }, t("detail.move_title")));
  if (!dossier.next_states.length) {
    section.appendChild(h("p", { class: "muted" }, t("detail.move_none")));
    return section;
  }
  let agencies = [];
  if (dossier.next_states.includes("transferred")) {
    try {
      agencies = (await api.activeAgencies()).filter((a) => a.code !== dossier.holder_agency_code)
        .sort((a, b) => a.name.localeCompare(b.name, "vi"));
    } catch (_ignored) {
      agencies = [];
    }
  }
  const target = select([["", t("detail.move_choose")], ...dossier.next_states.map((s) => [s, stateLabel(s)])]);
  const agency = select([["", t("detail.target_choose")], ...agencies.map((a) => [a.code, `${a.name} (${a.code})`])]);
  const note = h("textarea", { rows: "2", maxlength: "2000" });
  const agencyField = field(t("detail.target_agency"), agency, { required: true, wide: true });
  agencyField.hidden = true;
  target.addEventListener("change", () => {
    agencyField.hidden = target.value !== "transferred";
  });
  const status = h("div", { class: "form-status" });
  const submit = h("button", { type: "submit", class: "button primary" }, t("detail.move_submit"));
  const form = h("form", { class: "form-grid compact", novalidate: true },
    field(t("detail.move_to"), target, { required: true }), agencyField,
    field(t("detail.note"), note, { wide: true }), h("div", { class: "actions" }, submit));

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    status.replaceChildren();
    if (!target.value) {
      status.appendChild(errorBox({ message: t("detail.move_need_state") }));
      target.focus();
      return;
    }
    if (target.value === "transferred" && !agency.value) {
      status.appendChild(errorBox({ message: t("detail.move_need_agency") }));
      agency.focus();
      return;
    }
    const body = { to: target.value, note: note.value.trim() };
    if (target.value === "transferred") body.target_agency_code = agency.value;
    submit.disabled = true;
    submit.textContent = t("detail.move_busy");
    try {
      await api.request(`${env.path}/transitions`, { method: "POST", json: body, headers: { "If-Match": env.etag } });
      await env.reload(notice(t("detail.moved", { state: stateLabel(body.to) }), "success"));
    } catch (error) {
      submit.disabled = false;
      submit.textContent = t("detail.move_submit");
      if (error.status === 412) await env.reload(notice(t("detail.stale"), "error"));
      else if (error.status !== 401) status.appendChild(errorBox(error));
    }
  });
  section.append(status, form);
  return section;
}

function extensionPanel(env, extensions) {
  const { dossier } = env;
  const letters = Array.isArray(extensions && extensions.data) ? extensions.data : [];
  const canExtend = dossier.late && !TERMINAL.includes(dossier.state) && dossier.state !== "new";
  if (!canExtend && letters.length === 0) return null;
  const section = h("section", { class: "panel", "aria-labelledby": "ext-title" },
    h("h2", { id: "ext-title" }, t("detail.ext_title")));
  if (letters.length) {
    section.appendChild(h("h3", {}, t("detail.ext_list")));
    section.appendChild(h("ul", { class: "letters" }, letters.map((letter) => h("li", {},
      t("detail.ext_issued", { at: formatDateTime(letter.issued_at), name: letter.issued_by_name || letter.issued_by,
                               due: formatDateTime(letter.new_due_at) }),
      h("br"), h("span", { class: "muted" }, letter.reason)))));
  }
  if (!canExtend) return section;
  const reason = h("textarea", { rows: "3", maxlength: "2000" });
  const newDate = h("input", { type: "datetime-local" });
  const status = h("div", { class: "form-status" });
  const submit = h("button", { type: "submit", class: "button primary" }, t("detail.ext_submit"));
  const form = h("form", { class: "form-grid compact", novalidate: true },
    field(t("detail.ext_reason"), reason, { required: true, wide: true }),
    field(t("detail.ext_new_date"), newDate, { required: true }),
    h("div", { class: "actions" }, submit));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    status.replaceChildren();
    if (!reason.value.trim() || !newDate.value) {
      status.appendChild(errorBox({ message: t("detail.ext_need") }));
      (reason.value.trim() ? newDate : reason).focus();
      return;
    }
    submit.disabled = true;
    submit.textContent = t("detail.ext_busy");
    try {
      await api.request(`${env.path}/extensions`, {
        method: "POST", headers: { "If-Match": env.etag },
        json: { reason: reason.value.trim(), new_due_at: vietnamLocalToIso(newDate.value) },
      });
      await env.reload(notice(t("detail.ext_done"), "success"));
    } catch (error) {
      submit.disabled = false;
      submit.textContent = t("detail.ext_submit");
      if (error.status === 412) await env.reload(notice(t("detail.stale"), "error"));
      else if (error.status !== 401) status.appendChild(errorBox(error));
    }
  });
  section.append(h("p", {}, t("detail.ext_intro")), status, form);
  return section;
}

function historySection(env, history) {
  const section = h("section", { class: "panel", "aria-labelledby": "history-title" },
    h("h2", { id: "history-title" }, t("detail.history")));
  if (history instanceof Error) {
    section.appendChild(errorBox(history));
    return section;
  }
  if (!history.data.length) {
    section.appendChild(h("p", { class: "muted" }, t("detail.history_empty")));
    return section;
  }
  const rows = history.data.map((event) => {
    const handover = event.handover;
    return [
      timeElement(event.at),
      [event.from_state ? stateLabel(event.from_state) : t("app.dash"), " → ", h("strong", {}, stateLabel(event.to_state))],
      [h("span", {}, event.actor_name || event.actor_username), h("br"), h("span", { class: "muted small" }, event.actor_username)],
      env.agencyName(event.actor_agency_code),
      [event.note || "", event.target_agency_code
        ? h("span", { class: "block" }, t("detail.to_agency", { agency: env.agencyName(event.target_agency_code) })) : null],
      handover ? t("field.days_unit", {
        days: `${formatNumber(handover.allowed_days)} / ${formatNumber(handover.used_days)}`,
      }) : t("app.dash"),
      handover ? h("span", { class: `badge timeliness-${handover.timeliness}` }, timelinessLabel(handover.timeliness)) : t("app.dash"),
    ];
  });
  section.appendChild(table(t("detail.history_caption"), [
    t("detail.col_time"), t("detail.col_move"), t("detail.col_officer"), t("detail.col_agency"), t("detail.col_note"),
    t("detail.col_handover"), t("detail.col_timeliness"),
  ], rows));
  return section;
}
