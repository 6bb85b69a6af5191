// "Tiêu hủy và nộp lưu": the archivist's disposition pages.
//  - #/disposition: what is due (select and propose with a reason), the proposals (a second person approves
//    after typing their password again, or rejects with a reason), and a tombstone lookup by dossier code;
//  - #/disposition/<id>: one proposal with its tombstones and the destruction list (Danh mục tài liệu hủy, PDF).
// The API decides every permission again (roles, scope, "not the proposer", re-authentication, holds).

import * as api from "../api.js";
import { h, dossierLink, errorBox, field, heading, notice, onSubmit, select, table, timeElement, uid } from "../dom.js";
import { t } from "../i18n.js";
import { openPdf } from "./pdf.js";

const LIMIT = 100;
const ARCHIVE_ROLES = ["archivist", "leader", "auditor", "admin"];

/** Whether to show the disposition pages in the menu (the API decides again). */
export function mayDispose(me) {
  return api.hasRole(me, ...ARCHIVE_ROLES);
}

const actionLabel = (action) => ({ destroy: t("disposition.action_destroy"),
  deposit: t("disposition.action_deposit") })[action] || action;
const stateLabel = (state) => ({ proposed: t("disposition.state_proposed"), rejected: t("disposition.state_rejected"),
  executed: t("disposition.state_executed") })[state] || state;

function section(title, ...children) {
  return h("section", { class: "panel" }, h("h2", {}, title), ...children);
}

/** The queue: due dossiers with checkboxes, and the proposal form under it. */
function dueSection(ctx) {
  const area = h("div", { "aria-busy": "true" }, h("p", { class: "loading" }, t("app.loading")));
  const body = section(t("disposition.due_title"), h("p", { class: "muted" }, t("disposition.due_intro")), area);
  (async () => {
    let page;
    try {
      page = await api.get("/archive/retention/due", { limit: LIMIT });
    } catch (error) {
      area.removeAttribute("aria-busy");
      area.replaceChildren(error.status === 403 ? notice(t("disposition.not_allowed"), "warning") : errorBox(error));
      return;
    }
    area.removeAttribute("aria-busy");
    const open = page.data.filter((due) => due.state === "kept");
    if (!open.length) {
      area.replaceChildren(notice(t("disposition.due_empty"), "success"));
      return;
    }
    const boxes = new Map();
    const rows = open.map((due) => {
      const box = h("input", { type: "checkbox", id: uid("due"), disabled: due.held,
                               "aria-label": t("disposition.pick", { code: due.dossier_code }) });
      boxes.set(due.dossier_code, { box, due });
      return [box, dossierLink(due.dossier_code), due.procedure_code, timeElement(due.closed_at, false),
        due.due_on || t("app.dash"), actionLabel(due.end_action),
        due.held ? h("span", { class: "badge badge-warning" }, t("disposition.held")) : t("app.dash")];
    });
    const action = select([["destroy", actionLabel("destroy")], ["deposit", actionLabel("deposit")]]);
    const reason = h("textarea", { rows: 2, maxlength: 2000 });
    const submit = h("button", { type: "submit", class: "button" }, t("disposition.propose"));
    const status = h("div", { tabindex: "-1" });
    const form = h("form", { class: "form", novalidate: true },
      field(t("disposition.action"), action, { required: true }),
      field(t("disposition.reason"), reason, { required: true, wide: true, hint: t("disposition.reason_hint") }),
      h("div", { class: "actions" }, submit), status);
    const picked = () => [...boxes.values()].filter(({ box, due }) => box.checked && due.end_action === action.value)
      .map(({ due }) => due.dossier_code);
    onSubmit(form, {
      submit, status,
      check: () => {
        if (!picked().length) return [t("disposition.pick_some"), null];
        if (!reason.value.trim()) return [t("disposition.reason_required"), reason];
        return null;
      },
      send: async () => {
        const { data } = await api.request("/archive/dispositions", {
          method: "POST", json: { dossier_codes: picked(), reason: reason.value.trim(), action: action.value } });
        ctx.navigate(`/disposition/${encodeURIComponent(data.id)}`);
      },
    });
    area.replaceChildren(
      table(t("disposition.due_caption"), ["", t("disposition.dossier"), t("disposition.procedure"),
        t("disposition.closed_at"), t("disposition.due_on"), t("disposition.end_action"), t("disposition.hold")], rows),
      form);
  })();
  return body;
}

/** The approval form: the approver's own password again (QCVN 12: deletion only after re-authentication). */
function approvalForm(ctx, disposition, done) {
  const password = h("input", { type: "password", autocomplete: "current-password", maxlength: 200 });
  const note = h("input", { type: "text", maxlength: 2000 });
  const submit = h("button", { type: "submit", class: "button danger" },
    disposition.action === "destroy" ? t("disposition.approve_destroy") : t("disposition.approve_deposit"));
  const status = h("div", { tabindex: "-1" });
  const form = h("form", { class: "form", novalidate: true },
    h("p", { class: "muted" }, disposition.action === "destroy" ? t("disposition.approve_warning")
      : t("disposition.deposit_warning")),
    field(t("disposition.password"), password, { required: true, hint: t("disposition.password_hint") }),
    field(t("disposition.note"), note),
    h("div", { class: "actions" }, submit), status);
  onSubmit(form, {
    submit, status,
    check: () => (password.value ? null : [t("disposition.password_required"), password]),
    send: async () => {
      try {
        await api.request(`/archive/dispositions/${encodeURIComponent(disposition.id)}/approve`, {
          method: "POST", json: { password: password.value, note: note.value.trim() } });
      } finally {
        password.value = "";
      }
      done();
    },
  });
  return form;
}

function rejectionForm(disposition, done) {
  const note = h("textarea", { rows: 2, maxlength: 2000 });
  const submit = h("button", { type: "submit", class: "button secondary" }, t("disposition.reject"));
  const status = h("div", { tabindex: "-1" });
  const form = h("form", { class: "form", novalidate: true },
    field(t("disposition.reject_reason"), note, { required: true, wide: true }),
    h("div", { class: "actions" }, submit), status);
  onSubmit(form, {
    submit, status,
    check: () => (note.value.trim() ? null : [t("disposition.reason_required"), note]),
    send: async () => {
      await api.request(`/archive/dispositions/${encodeURIComponent(disposition.id)}/reject`, {
        method: "POST", json: { note: note.value.trim() } });
      done();
    },
  });
  return form;
}

function proposalRows(list) {
  return list.map((d) => [
    h("a", { href: `#/disposition/${encodeURIComponent(d.id)}`, class: "code" }, d.id.slice(0, 8)),
    actionLabel(d.action), stateLabel(d.state), String(d.dossier_codes.length), d.reason,
    [d.proposed_by, h("span", { class: "block muted small" }, timeElement(d.proposed_at))],
    d.decided_by ? [d.decided_by, h("span", { class: "block muted small" }, timeElement(d.decided_at))]
      : t("app.dash"),
  ]);
}

function proposalsSection() {
  const area = h("div", { "aria-busy": "true" }, h("p", { class: "loading" }, t("app.loading")));
  const body = section(t("disposition.proposals_title"), area);
  (async () => {
    let page;
    try {
      page = await api.get("/archive/dispositions", { limit: LIMIT });
    } catch (error) {
      area.removeAttribute("aria-busy");
      area.replaceChildren(error.status === 403 ? notice(t("disposition.not_allowed"), "warning") : errorBox(error));
      return;
    }
    area.removeAttribute("aria-busy");
    area.replaceChildren(page.count ? table(t("disposition.proposals_caption"), [t("disposition.id"),
      t("disposition.action"), t("disposition.state"), t("disposition.count"), t("disposition.reason"),
      t("disposition.proposed_by"), t("disposition.decided_by")], proposalRows(page.data))
      : h("p", { class: "muted" }, t("disposition.proposals_empty")));
  })();
  return body;
}

function tombstoneTable(tombstones, caption) {
  const rows = tombstones.map((stone) => {
    const r = stone.record || {};
    return [stone.kind === "dossier" ? t("disposition.kind_dossier") : t("disposition.kind_document"),
      stone.dossier_code, stone.kind === "dossier" ? r.subject || r.procedure_code || "" : r.title || r.filename || "",
      r.sha256 ? h("span", { class: "code small" }, r.sha256) : t("app.dash"),
      r.schedule ? t("disposition.years", { years: r.schedule.years ?? "—" }) : t("app.dash"),
      `${r.proposed_by || "—"} / ${r.approved_by || "—"}`, timeElement(stone.destroyed_at)];
  });
  return table(caption, [t("disposition.kind"), t("disposition.dossier"), t("disposition.title_col"),
    t("disposition.sha256"), t("disposition.schedule"), t("disposition.who"), t("disposition.destroyed_at")], rows);
}

function tombstoneLookup() {
  const code = h("input", { type: "text", maxlength: 64, autocomplete: "off" });
  const submit = h("button", { type: "submit", class: "button secondary" }, t("disposition.lookup"));
  const status = h("div", { tabindex: "-1" });
  const result = h("div", { "aria-live": "polite" });
  const form = h("form", { class: "form inline", novalidate: true, role: "search" },
    field(t("disposition.dossier_code"), code, { required: true }), h("div", { class: "actions" }, submit), status);
  onSubmit(form, {
    submit, status,
    check: () => (code.value.trim() ? null : [t("disposition.code_required"), code]),
    send: async () => {
      result.replaceChildren();
      const page = await api.get(`/archive/tombstones/${encodeURIComponent(code.value.trim())}`);
      result.replaceChildren(tombstoneTable(page.data, t("disposition.tombstones_caption")));
    },
  });
  return section(t("disposition.lookup_title"), h("p", { class: "muted" }, t("disposition.lookup_intro")), form, result);
}

export async function renderDispositions(ctx) {
  const { main, me } = ctx;
  main.appendChild(heading(t("disposition.title")));
  main.appendChild(h("p", { class: "lead" }, t("disposition.intro")));
  if (!mayDispose(me)) {
    main.appendChild(notice(t("disposition.not_allowed"), "warning"));
    return;
  }
  if (api.hasRole(me, "archivist", "admin")) main.appendChild(dueSection(ctx));
  main.appendChild(proposalsSection());
  main.appendChild(tombstoneLookup());
}

export async function renderDisposition(ctx) {
  const { main, me, code: id } = ctx;
  main.appendChild(heading(t("disposition.one_title")));
  const area = h("div", { "aria-busy": "true" }, h("p", { class: "loading" }, t("app.loading")));
  main.appendChild(area);
  const load = async () => {
    let disposition;
    try {
      disposition = await api.get(`/archive/dispositions/${encodeURIComponent(id)}`);
    } catch (error) {
      area.removeAttribute("aria-busy");
      area.replaceChildren(errorBox(error));
      return;
    }
    if (!ctx.stillCurrent()) return;
    area.removeAttribute("aria-busy");
    const facts = h("dl", { class: "facts" },
      h("dt", {}, t("disposition.action")), h("dd", {}, actionLabel(disposition.action)),
      h("dt", {}, t("disposition.state")), h("dd", {}, stateLabel(disposition.state)),
      h("dt", {}, t("disposition.reason")), h("dd", {}, disposition.reason),
      h("dt", {}, t("disposition.proposed_by")), h("dd", {}, disposition.proposed_by, " — ",
        timeElement(disposition.proposed_at)),
      h("dt", {}, t("disposition.decided_by")), h("dd", {}, disposition.decided_by
        ? [disposition.decided_by, " — ", timeElement(disposition.decided_at), disposition.decision_note
          ? h("span", { class: "block muted" }, disposition.decision_note) : null] : t("app.dash")),
      h("dt", {}, t("disposition.dossiers")), h("dd", {}, disposition.dossier_codes.map((c) =>
        h("span", { class: "block" }, disposition.state === "executed" && disposition.action === "destroy"
          ? c : dossierLink(c)))));
    area.replaceChildren(facts);
    if (disposition.blobs_pending || disposition.index_pending) {
      area.appendChild(notice(t("disposition.pending", { n: disposition.blobs_pending }), "warning"));
    }
    if (disposition.package_path) area.appendChild(notice(t("disposition.package", { path: disposition.package_path })));
    const reload = () => {
      area.setAttribute("aria-busy", "true");
      load();
    };
    if (disposition.state === "proposed" && api.hasRole(me, "archivist", "leader")
        && me.username !== disposition.proposed_by) {
      area.appendChild(section(t("disposition.decide_title"), approvalForm(ctx, disposition, reload),
        rejectionForm(disposition, reload)));
    } else if (disposition.state === "proposed") {
      area.appendChild(notice(t("disposition.waiting_second")));
    }
    if (disposition.state === "executed" && disposition.action === "destroy") {
      const button = h("button", { type: "button", class: "button secondary" }, t("disposition.list_pdf"));
      const status = h("div");
      button.addEventListener("click", () => openPdf({
        path: `/archive/dispositions/${encodeURIComponent(disposition.id)}/list.pdf`, button,
        label: t("disposition.list_pdf"), busyLabel: t("disposition.list_busy"), status,
        filename: `danh-muc-tai-lieu-huy-${disposition.id.slice(0, 8)}.pdf`, blockedText: t("disposition.blocked"),
        openText: t("disposition.open"),
      }));
      area.appendChild(h("div", { class: "actions" }, button, status));
      area.appendChild(tombstoneTable(disposition.tombstones, t("disposition.tombstones_caption")));
    }
  };
  await load();
}
