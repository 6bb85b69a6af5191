// "Chia sẻ": in the dossier view, the dossier's shares with other agencies or systems — the list with each
// share's status, a form to share the whole dossier or chosen documents until a date, and revoking with a
// reason. Only agencies that took part in the dossier may share it: for anyone else the API answers 403
// cannot_share and there is no panel.

import * as api from "../api.js";
import {
  h, errorBox, field, formatDate, formatNumber, notice, onSubmit, select, table, timeElement, uid,
} from "../dom.js";
import { shareStatusLabel, t } from "../i18n.js";

const DEFAULT_DAYS = 30;
const MAX_DAYS = 366;
const VIETNAM_OFFSET_MS = 7 * 60 * 60 * 1000;

/** Today's date in Vietnam plus `days`, as yyyy-mm-dd (for <input type=date>). */
export function vietnamDatePlus(days) {
  const local = new Date(Date.now() + VIETNAM_OFFSET_MS + days * 24 * 60 * 60 * 1000);
  return local.toISOString().slice(0, 10);
}

/** The end of a date (yyyy-mm-dd) in Vietnam time, as ISO with its offset. */
export function endOfVietnamDay(date) {
  return `${date}T23:59:59+07:00`;
}

export function shareStatusBadge(status) {
  return h("span", { class: `badge share-status share-status-${status}` }, shareStatusLabel(status));
}

/** What a share covers: the whole dossier (attaching allowed or not) or some documents. */
export function shareScope(share, titles = new Map()) {
  if (share.whole_dossier) {
    return [h("span", {}, t("shares.whole")), share.allow_attach
      ? h("span", { class: "block muted small" }, t("shares.attach_allowed")) : null];
  }
  const names = share.document_ids.map((id) => titles.get(id)).filter(Boolean);
  return [h("span", {}, t("shares.documents_n", { n: formatNumber(share.document_ids.length, 0) })),
    names.length ? h("ul", { class: "plain-list small" }, names.map((name) => h("li", {}, name))) : null];
}

/**
 * The panel, or null when the reader may not share this dossier. `shares`: the answer of GET …/shares (or
 * the error it threw). `documents()`: the dossier's documents as the documents panel has them now;
 * `documentsLoaded`: resolves when that panel has its first list (the share list then names the documents).
 */
export function sharesPanel(env, shares, { documents, documentsLoaded }) {
  if (shares instanceof Error && [403, 404].includes(shares.status)) return null;
  const { dossier } = env;
  const countText = h("span", { class: "muted count" });
  const status = h("div", { class: "page-status", tabindex: "-1" });
  const listArea = h("div", { class: "shares-list" });
  const section = h("section", { class: "panel", id: "shares", "aria-labelledby": "shares-title" },
    h("h2", { id: "shares-title" }, t("shares.title"), " ", countText),
    h("p", { class: "hint" }, t("shares.intro")),
    status, listArea);
  if (shares instanceof Error) {
    listArea.appendChild(errorBox(shares));
    return section;
  }

  const titles = () => new Map(documents().map((doc) => [doc.id, doc.title || doc.filename]));

  let shown = [];
  function showList(items) {
    shown = items;
    countText.textContent = t("docs.count", { count: formatNumber(items.length, 0) });
    listArea.replaceChildren();
    if (!items.length) {
      listArea.appendChild(h("p", { class: "muted" }, t("shares.empty")));
      return;
    }
    const names = titles();
    listArea.appendChild(table(t("shares.caption"), [
      t("shares.grantee"), t("shares.purpose"), t("shares.scope"), t("shares.granted"), t("shares.expires"),
      t("field.state"), t("shares.actions"),
    ], items.map((share) => [
      env.agencyName(share.grantee_agency_code),
      share.purpose,
      shareScope(share, names),
      [share.granted_by, h("br"), timeElement(share.granted_at)],
      timeElement(share.expires_at),
      [shareStatusBadge(share.status), share.status === "revoked" ? h("span", { class: "block muted small" },
        t("shares.revoked_by", { name: share.revoked_by || t("app.dash") }), " ", timeElement(share.revoked_at),
        share.revoke_reason ? h("span", { class: "block" }, t("shares.revoke_reason_is", { reason: share.revoke_reason }))
          : null) : null],
      share.status === "active" ? revokeButton(share) : h("span", { class: "muted" }, t("app.dash")),
    ])));
  }

  async function refresh(message) {
    try {
      const answer = await api.get(`${env.path}/shares`);
      if (!env.ctx.stillCurrent()) return;
      showList(answer.data);
    } catch (error) {
      if (error.status !== 401 && env.ctx.stillCurrent()) listArea.replaceChildren(errorBox(error));
    }
    if (message) {
      status.replaceChildren(message);
      status.focus();
    }
  }

  // --- revoke ----------------------------------------------------------------------------------------------

  const revokeArea = h("div", { class: "revoke-area" });
  function revokeButton(share) {
    return h("button", {
      type: "button", class: "button secondary small-button",
      "aria-label": t("shares.revoke_for", { agency: env.agencyName(share.grantee_agency_code) }),
      onclick: () => openRevoke(share),
    }, t("shares.revoke"));
  }

  function openRevoke(share) {
    const reason = h("textarea", { rows: "2", maxlength: "1000" });
    const formStatus = h("div", { class: "form-status" });
    const submit = h("button", { type: "submit", class: "button primary" }, t("shares.revoke_submit"));
    const form = h("form", { class: "form-grid stack", novalidate: true },
      h("fieldset", {}, h("legend", {}, t("shares.revoke_title", { agency: env.agencyName(share.grantee_agency_code) })),
        field(t("shares.revoke_reason"), reason, { wide: true, hint: t("shares.revoke_hint") }),
        h("div", { class: "actions" }, submit,
          h("button", { type: "button", class: "button secondary", onclick: () => revokeArea.replaceChildren() },
            t("shares.cancel")))));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      submit.disabled = true;
      formStatus.replaceChildren();
      try {
        await api.request(`/shares/${encodeURIComponent(share.id)}/revoke`, {
          method: "POST", json: { reason: reason.value.trim() },
        });
        revokeArea.replaceChildren();
        await refresh(notice(t("shares.revoked", { agency: env.agencyName(share.grantee_agency_code) }), "success"));
      } catch (error) {
        submit.disabled = false;
        if (error.status !== 401) formStatus.replaceChildren(errorBox(error));
      }
    });
    revokeArea.replaceChildren(formStatus, form);
    reason.focus();
  }

  // --- create ----------------------------------------------------------------------------------------------

  function createForm() {
    const formStatus = h("div", { class: "form-status", tabindex: "-1" });
    const excluded = new Set([...dossier.participant_agencies, ...api.ownAgencies(env.ctx.me)]);
    const grantee = select([["", t("detail.target_choose")]]);
    api.activeAgencies().then((agencies) => {
      const options = agencies.filter((agency) => !excluded.has(agency.code))
        .sort((a, b) => a.name.localeCompare(b.name, "vi"));
      for (const agency of options) grantee.appendChild(h("option", { value: agency.code }, `${agency.name} (${agency.code})`));
    }).catch((error) => {
      if (error.status !== 401) formStatus.replaceChildren(errorBox(error));
    });
    const purpose = h("textarea", { rows: "2", maxlength: "1000" });
    const expires = h("input", { type: "date", value: vietnamDatePlus(DEFAULT_DAYS), min: vietnamDatePlus(0),
                                 max: vietnamDatePlus(MAX_DAYS - 1) });
    const scopeName = uid("share-scope");
    const wholeRadio = h("input", { type: "radio", name: scopeName, value: "whole", id: uid("share-whole"), checked: true });
    const docsRadio = h("input", { type: "radio", name: scopeName, value: "documents", id: uid("share-docs") });
    const attach = h("input", { type: "checkbox", id: uid("share-attach") });
    const docsBox = h("fieldset", { class: "doc-choices", hidden: true },
      h("legend", {}, t("shares.choose_documents")));
    const submit = h("button", { type: "submit", class: "button primary" }, t("shares.submit"));

    const fillDocuments = () => {
      const own = documents().filter((doc) => doc.dossier_code === dossier.code);
      docsBox.replaceChildren(h("legend", {}, t("shares.choose_documents")));
      if (!own.length) {
        docsBox.appendChild(h("p", { class: "muted" }, t("shares.no_documents")));
        return;
      }
      for (const doc of own) {
        const box = h("input", { type: "checkbox", value: doc.id, id: uid("share-doc") });
        docsBox.appendChild(h("div", { class: "field checkbox" }, box,
          h("label", { for: box.id }, doc.title || doc.filename)));
      }
    };
    const scopeChanged = () => {
      const some = docsRadio.checked;
      docsBox.hidden = !some;
      attach.disabled = some;
      if (some) {
        attach.checked = false;
        fillDocuments();
      }
    };
    wholeRadio.addEventListener("change", scopeChanged);
    docsRadio.addEventListener("change", scopeChanged);

    const form = h("form", { class: "form-grid stack", novalidate: true },
      field(t("shares.grantee"), grantee, { required: true, wide: true }),
      field(t("shares.purpose"), purpose, { required: true, wide: true, hint: t("shares.purpose_hint") }),
      field(t("shares.expires"), expires, { required: true, hint: t("shares.expires_hint") }),
      h("fieldset", {}, h("legend", {}, t("shares.scope")),
        h("div", { class: "field checkbox" }, wholeRadio, h("label", { for: wholeRadio.id }, t("shares.whole"))),
        h("div", { class: "field checkbox" }, docsRadio, h("label", { for: docsRadio.id }, t("shares.some_documents"))),
        h("div", { class: "field checkbox" }, attach, h("label", { for: attach.id }, t("shares.allow_attach"))),
        h("p", { class: "hint" }, t("shares.allow_attach_hint"))),
      docsBox,
      h("div", { class: "actions" }, submit));

    const chosenDocuments = () => (docsRadio.checked
      ? [...docsBox.querySelectorAll("input[type=checkbox]:checked")].map((box) => box.value) : []);
    onSubmit(form, {
      submit, status: formStatus,
      check: () => {
        if (!grantee.value) return [t("shares.need_grantee"), grantee];
        if (!purpose.value.trim()) return [t("shares.need_purpose"), purpose];
        if (!expires.value) return [t("shares.need_expiry"), expires];
        if (docsRadio.checked && !chosenDocuments().length) {
          return [t("shares.need_documents"), docsBox.querySelector("input") || docsRadio];
        }
        return null;
      },
      send: async () => {
        const { data: share } = await api.request(`${env.path}/shares`, {
          method: "POST",
          json: { grantee_agency_code: grantee.value, purpose: purpose.value.trim(),
                  expires_at: endOfVietnamDay(expires.value), document_ids: chosenDocuments(),
                  allow_attach: attach.checked },
        });
        form.reset();
        expires.value = vietnamDatePlus(DEFAULT_DAYS);
        wholeRadio.checked = true;
        scopeChanged();
        await refresh(notice(t("shares.created", {
          agency: env.agencyName(share.grantee_agency_code), date: formatDate(share.expires_at),
        }), "success"));
      },
    });
    return h("details", { class: "upload" }, h("summary", {}, t("shares.new")), formStatus, form);
  }

  showList(shares.data);
  documentsLoaded.then(() => {
    if (env.ctx.stillCurrent() && shown.some((share) => !share.whole_dossier)) showList(shown);
  });
  section.append(revokeArea, createForm());
  return section;
}
