// "Webhooks" (administrators): subscriptions that tell an agency's systems when dossiers they may read change.
// This view lists them, creates one (its signing secret is shown once), switches one on or off and issues
// a new secret. Each subscription's page (views/webhook_deliveries.js) has its deliveries and replays.

import * as api from "../api.js";
import { h, errorBox, field, heading, notice, onSubmit, select, table, timeElement, uid } from "../dom.js";
import { eventTypeLabel, t } from "../i18n.js";
import { onceBox } from "./integrations.js";

export const EVENT_TYPES = ["dossier.received", "dossier.state_changed", "document.attached", "share.granted",
  "share.revoked"];

export const webhookPath = (id) => `/webhooks/${encodeURIComponent(id)}`;

/** Checkboxes for the event types, `chosen` checked. Returns {element, chosen(), first}. */
export function eventTypesField(chosen = EVENT_TYPES) {
  const boxes = EVENT_TYPES.map((type) => h("input", { type: "checkbox", value: type, id: uid("event"),
                                                       checked: chosen.includes(type) }));
  const element = h("fieldset", {}, h("legend", {}, t("webhooks.events")),
    boxes.map((box) => h("div", { class: "field checkbox" }, box,
      h("label", { for: box.id }, eventTypeLabel(box.value), " ", h("span", { class: "code muted small" }, box.value)))));
  return { element, chosen: () => boxes.filter((box) => box.checked).map((box) => box.value), first: boxes[0] };
}

export function activeBadge(active) {
  return h("span", { class: `badge share-status share-status-${active ? "active" : "expired"}` },
    active ? t("webhooks.on") : t("webhooks.off"));
}

/** The error as a notice when this server has no webhooks yet, else as an error box. */
export function webhookError(error) {
  return api.isMissingEndpoint(error) ? notice(t("webhooks.unavailable"), "warning") : errorBox(error);
}

/** The secret of a subscription, shown once (after creating it or issuing a new one). */
export function secretBox(hook) {
  return onceBox({ title: t("webhooks.secret_title", { name: hook.name }), value: hook.secret,
                   note: t("webhooks.secret_note") });
}

export async function renderWebhooks(ctx) {
  const { main, me } = ctx;
  main.appendChild(heading(t("webhooks.title")));
  if (!api.hasRole(me, "admin")) {
    main.appendChild(notice(t("webhooks.not_allowed"), "warning"));
    return;
  }
  main.appendChild(h("p", { class: "lead" }, t("webhooks.intro")));
  const issued = h("div", { class: "issued" });
  const status = h("div", { class: "page-status", tabindex: "-1" });
  const listArea = h("div", { class: "results", "aria-busy": "true" }, h("p", { class: "loading" }, t("app.loading")));
  main.append(issued, status);
  const agencies = await api.agencyIndex().catch(() => new Map());
  if (!ctx.stillCurrent()) return;
  const agencyName = (code) => (agencies.get(code) ? agencies.get(code).name : code);

  let first;
  try {
    first = await api.get("/webhooks");
  } catch (error) {
    if (error.status === 401 || !ctx.stillCurrent()) return;
    main.appendChild(webhookError(error));
    return;
  }
  if (!ctx.stillCurrent()) return;

  function showList(answer) {
    listArea.removeAttribute("aria-busy");
    listArea.replaceChildren();
    if (!answer.count) {
      listArea.appendChild(notice(t("webhooks.empty")));
      return;
    }
    listArea.appendChild(table(t("webhooks.caption"), [
      t("webhooks.name"), t("access.agency"), t("webhooks.url"), t("webhooks.events"), t("field.state"),
      t("webhooks.created_at"), t("shares.actions"),
    ], answer.data.map((hook) => [
      h("a", { href: `#/webhooks/${encodeURIComponent(hook.id)}` }, hook.name),
      agencyName(hook.agency_code),
      h("span", { class: "filename" }, hook.url),
      (hook.event_types || []).map(eventTypeLabel).join(", ") || t("webhooks.all_events"),
      activeBadge(hook.active),
      hook.created_at ? timeElement(hook.created_at) : t("app.dash"),
      actions(hook),
    ])));
  }

  async function refresh() {
    try {
      showList(await api.get("/webhooks"));
    } catch (error) {
      if (error.status !== 401 && ctx.stillCurrent()) listArea.replaceChildren(webhookError(error));
    }
  }

  function actions(hook) {
    const toggle = h("button", { type: "button", class: "button secondary small-button",
      "aria-label": hook.active ? t("webhooks.turn_off_named", { name: hook.name })
        : t("webhooks.turn_on_named", { name: hook.name }) },
    hook.active ? t("webhooks.turn_off") : t("webhooks.turn_on"));
    toggle.addEventListener("click", () => act(toggle, () => api.request(webhookPath(hook.id), {
      method: "PATCH", json: { active: !hook.active },
    }), () => notice(hook.active ? t("webhooks.turned_off", { name: hook.name })
      : t("webhooks.turned_on", { name: hook.name }), "success")));
    const rotate = h("button", { type: "button", class: "button secondary small-button",
      "aria-label": t("webhooks.rotate_named", { name: hook.name }) }, t("webhooks.rotate"));
    rotate.addEventListener("click", () => {
      if (!window.confirm(t("webhooks.rotate_confirm", { name: hook.name }))) return;
      act(rotate, () => api.request(`${webhookPath(hook.id)}/rotate-secret`, { method: "POST" }), (data) => {
        issued.replaceChildren(secretBox({ ...hook, ...data }));
        return null;
      });
    });
    return h("div", { class: "doc-actions" }, toggle, rotate);
  }

  async function act(button, call, done) {
    button.disabled = true;
    status.replaceChildren();
    try {
      const { data } = await call();
      const message = done(data);
      if (message) {
        status.replaceChildren(message);
        status.focus();
      }
      await refresh();
    } catch (error) {
      button.disabled = false;
      if (error.status !== 401) {
        status.replaceChildren(webhookError(error));
        status.focus();
      }
    }
  }

  main.appendChild(createForm(agencies, (hook) => {
    issued.replaceChildren(secretBox(hook));
    refresh();
  }));
  main.appendChild(h("section", { class: "panel", "aria-labelledby": "webhooks-list" },
    h("h2", { id: "webhooks-list" }, t("webhooks.list")), listArea));
  showList(first);
}

function createForm(agencies, onCreated) {
  const name = h("input", { type: "text", maxlength: "200", autocomplete: "off" });
  const agency = select([["", t("detail.target_choose")],
    ...[...agencies.values()].filter((a) => a.status === "active").sort((a, b) => a.name.localeCompare(b.name, "vi"))
      .map((a) => [a.code, `${a.name} (${a.code})`])]);
  const url = h("input", { type: "url", maxlength: "2000", autocomplete: "off", spellcheck: "false", inputmode: "url" });
  const events = eventTypesField();
  const formStatus = h("div", { class: "form-status", tabindex: "-1" });
  const submit = h("button", { type: "submit", class: "button primary" }, t("webhooks.create"));
  const form = h("form", { class: "form-grid stack", novalidate: true },
    field(t("webhooks.name"), name, { required: true, wide: true }),
    field(t("webhooks.agency"), agency, { required: true, wide: true, hint: t("webhooks.agency_hint") }),
    field(t("webhooks.url"), url, { required: true, wide: true, hint: t("webhooks.url_hint") }),
    events.element,
    h("div", { class: "actions" }, submit));
  onSubmit(form, {
    submit, status: formStatus, describe: webhookError,
    check: () => {
      if (!name.value.trim()) return [t("webhooks.need_name"), name];
      if (!agency.value) return [t("webhooks.need_agency"), agency];
      if (!url.value.trim()) return [t("webhooks.need_url"), url];
      if (!events.chosen().length) return [t("webhooks.need_events"), events.first];
      return null;
    },
    send: async () => {
      const { data } = await api.request("/webhooks", {
        method: "POST",
        json: { name: name.value.trim(), agency_code: agency.value, url: url.value.trim(), event_types: events.chosen() },
      });
      form.reset();
      for (const box of events.element.querySelectorAll("input")) box.checked = true;
      formStatus.replaceChildren(notice(t("webhooks.created", { name: data.name }), "success"));
      onCreated(data);
    },
  });
  return h("details", { class: "filter-panel" }, h("summary", {}, t("webhooks.new")), formStatus, form);
}
