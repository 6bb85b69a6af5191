// "Tài khoản tích hợp": service tokens for specialised systems (land registry, tax, civil registry …).
// Administrators create, rotate and revoke them; leaders see their agency's accounts, read-only. A token is
// shown once, when it is issued.

import * as api from "../api.js";
import { h, errorBox, field, heading, notice, onSubmit, select, table, timeElement, uid } from "../dom.js";
import { scopeLabel, t } from "../i18n.js";
import { endOfVietnamDay, vietnamDatePlus } from "./shares.js";

export const SCOPES = ["read", "attach"];

/** A value shown once (token, secret): large, selectable, with a copy button and what to do with it. */
export function onceBox({ title, value, note }) {
  const titleId = uid("once-title");
  const code = h("p", { class: "secret secret-long", translate: "no" }, value);
  const copied = h("span", { class: "muted small", role: "status" });
  const copy = h("button", { type: "button", class: "button secondary small-button" }, t("once.copy"));
  copy.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(value);
      copied.textContent = t("once.copied");
    } catch (_ignored) {
      // no clipboard (plain http, permissions): select the text for Ctrl+C instead
      const range = document.createRange();
      range.selectNodeContents(code);
      window.getSelection().removeAllRanges();
      window.getSelection().addRange(range);
      copied.textContent = t("once.copy_by_hand");
    }
  });
  const box = h("section", { class: "alert alert-warning secret-box", "aria-labelledby": titleId, tabindex: "-1" },
    h("h2", { id: titleId }, title), code, h("p", {}, note), h("div", { class: "actions" }, copy, copied));
  window.setTimeout(() => box.focus(), 0);
  return box;
}

function statusOf(account) {
  if (account.active) return h("span", { class: "badge share-status share-status-active" }, t("integrations.active"));
  if (account.revoked_at) return h("span", { class: "badge share-status share-status-revoked" }, t("integrations.revoked"));
  return h("span", { class: "badge share-status share-status-expired" }, t("integrations.expired"));
}

export async function renderIntegrations(ctx) {
  const { main, me } = ctx;
  main.appendChild(heading(t("integrations.title")));
  const admin = api.hasRole(me, "admin");
  if (!admin && !api.hasRole(me, "leader")) {
    main.appendChild(notice(t("integrations.not_allowed"), "warning"));
    return;
  }
  main.appendChild(h("p", { class: "lead" }, t("integrations.intro")));
  if (!admin) main.appendChild(notice(t("integrations.read_only")));
  const issued = h("div", { class: "issued" });
  const status = h("div", { class: "page-status", tabindex: "-1" });
  const listArea = h("div", { class: "results", "aria-busy": "true" }, h("p", { class: "loading" }, t("app.loading")));
  main.append(issued, status);
  const agencies = await api.agencyIndex().catch(() => new Map());
  if (!ctx.stillCurrent()) return;
  const agencyName = (code) => (agencies.get(code) ? agencies.get(code).name : code);

  const showIssued = (account) => {
    issued.replaceChildren(onceBox({
      title: t("integrations.token_title", { name: account.name }), value: account.token,
      note: t("integrations.token_note", { username: account.username }),
    }));
  };

  async function refresh() {
    let answer;
    try {
      answer = await api.get("/integrations");
    } catch (error) {
      listArea.removeAttribute("aria-busy");
      if (error.status !== 401) listArea.replaceChildren(errorBox(error));
      return;
    }
    if (!ctx.stillCurrent()) return;
    listArea.removeAttribute("aria-busy");
    listArea.replaceChildren();
    if (!answer.count) {
      listArea.appendChild(notice(t("integrations.empty")));
      return;
    }
    const head = [t("integrations.name"), t("access.agency"), t("integrations.scopes"), t("integrations.username"),
      t("integrations.created"), t("integrations.expires"), t("field.state")];
    if (admin) head.push(t("shares.actions"));
    listArea.appendChild(table(t("integrations.caption"), head, answer.data.map((account) => {
      const cells = [
        account.name, agencyName(account.agency_code), account.scopes.map(scopeLabel).join(", "),
        h("span", { class: "code" }, account.username),
        [account.created_by, h("br"), timeElement(account.created_at)],
        account.expires_at ? timeElement(account.expires_at) : t("integrations.no_expiry"),
        [statusOf(account), account.revoked_at ? h("span", { class: "block muted small" },
          t("shares.revoked_by", { name: account.revoked_by || t("app.dash") }), " ", timeElement(account.revoked_at)) : null],
      ];
      if (admin) cells.push(account.active ? actions(account) : h("span", { class: "muted" }, t("app.dash")));
      return cells;
    })));
  }

  function actions(account) {
    const rotate = h("button", { type: "button", class: "button secondary small-button",
      "aria-label": t("integrations.rotate_for", { name: account.name }) }, t("integrations.rotate"));
    const revoke = h("button", { type: "button", class: "button secondary small-button",
      "aria-label": t("integrations.revoke_for", { name: account.name }) }, t("integrations.revoke"));
    rotate.addEventListener("click", async () => {
      if (!window.confirm(t("integrations.rotate_confirm", { name: account.name }))) return;
      await act(rotate, `/integrations/${encodeURIComponent(account.id)}/rotate`, (data) => showIssued(data));
    });
    revoke.addEventListener("click", async () => {
      if (!window.confirm(t("integrations.revoke_confirm", { name: account.name }))) return;
      await act(revoke, `/integrations/${encodeURIComponent(account.id)}/revoke`, () => {
        issued.replaceChildren(); // a token shown for this account is void now
        status.replaceChildren(notice(t("integrations.revoked_done", { name: account.name }), "success"));
        status.focus();
      });
    });
    return h("div", { class: "doc-actions" }, rotate, revoke);
  }

  async function act(button, path, done) {
    button.disabled = true;
    status.replaceChildren();
    try {
      const { data } = await api.request(path, { method: "POST" });
      done(data);
      await refresh();
    } catch (error) {
      button.disabled = false;
      if (error.status !== 401) {
        status.replaceChildren(errorBox(error));
        status.focus();
      }
    }
  }

  if (admin) main.appendChild(createForm(agencies, (account) => {
    showIssued(account);
    refresh();
  }));
  main.appendChild(h("section", { class: "panel", "aria-labelledby": "integrations-list" },
    h("h2", { id: "integrations-list" }, t("integrations.list")), listArea));
  await refresh();
}

function createForm(agencies, onIssued) {
  const name = h("input", { type: "text", maxlength: "200", autocomplete: "off" });
  const agency = select([["", t("detail.target_choose")],
    ...[...agencies.values()].filter((a) => a.status === "active").sort((a, b) => a.name.localeCompare(b.name, "vi"))
      .map((a) => [a.code, `${a.name} (${a.code})`])]);
  const scopes = SCOPES.map((scope) => h("input", { type: "checkbox", value: scope, id: uid("scope"), checked: scope === "read" }));
  const expires = h("input", { type: "date", min: vietnamDatePlus(0) });
  const formStatus = h("div", { class: "form-status", tabindex: "-1" });
  const submit = h("button", { type: "submit", class: "button primary" }, t("integrations.create"));
  const form = h("form", { class: "form-grid stack", novalidate: true },
    field(t("integrations.name"), name, { required: true, wide: true, hint: t("integrations.name_hint") }),
    field(t("integrations.agency"), agency, { required: true, wide: true }),
    h("fieldset", {}, h("legend", {}, t("integrations.scopes")),
      scopes.map((box) => h("div", { class: "field checkbox" }, box, h("label", { for: box.id }, scopeLabel(box.value)))),
      h("p", { class: "hint" }, t("integrations.scopes_hint"))),
    field(t("integrations.expires"), expires, { hint: t("integrations.expires_hint") }),
    h("div", { class: "actions" }, submit));
  onSubmit(form, {
    submit, status: formStatus,
    check: () => {
      if (!name.value.trim()) return [t("integrations.need_name"), name];
      if (!agency.value) return [t("integrations.need_agency"), agency];
      if (!scopes.some((box) => box.checked)) return [t("integrations.need_scope"), scopes[0]];
      return null;
    },
    send: async () => {
      const chosen = scopes.filter((box) => box.checked).map((box) => box.value);
      const { data } = await api.request("/integrations", {
        method: "POST",
        json: { name: name.value.trim(), agency_code: agency.value, scopes: chosen,
                expires_at: expires.value ? endOfVietnamDay(expires.value) : null },
      });
      form.reset();
      scopes[0].checked = true;
      formStatus.replaceChildren(notice(t("integrations.created_done", { name: data.name }), "success"));
      onIssued(data);
    },
  });
  return h("details", { class: "filter-panel" }, h("summary", {}, t("integrations.new")), formStatus, form);
}
