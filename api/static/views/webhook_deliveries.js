// One webhook subscription (#/webhooks/<id>): its settings (name, address, events, on/off), a new secret, its
// deliveries filtered by status with "replay", and replaying everything since a date. One delivery
// (#/webhooks/<id>/deliveries/<delivery id>): its payload and every attempt.

import * as api from "../api.js";
import { h, errorBox, field, formatNumber, heading, notice, pager, select, table, timeElement } from "../dom.js";
import { deliveryStatusLabel, eventTypeLabel, t } from "../i18n.js";
import { activeBadge, eventTypesField, secretBox, webhookError, webhookPath } from "./webhooks.js";

export const DELIVERY_STATUSES = ["pending", "delivered", "failed"];
const LIMIT = 50;

function deliveryBadge(status) {
  return h("span", { class: `badge delivery delivery-${status}` }, deliveryStatusLabel(status));
}

/** A date (yyyy-mm-dd) as the start of that day in Vietnam time, ISO with its offset. */
function startOfVietnamDay(date) {
  return `${date}T00:00:00+07:00`;
}

/** The day after `date` (yyyy-mm-dd): "until" a date includes the whole of it. */
function nextDay(date) {
  const day = new Date(`${date}T00:00:00Z`);
  day.setUTCDate(day.getUTCDate() + 1);
  return day.toISOString().slice(0, 10);
}

function lastAttempt(delivery) {
  if (!delivery.last_attempt_at) return t("app.dash");
  return [timeElement(delivery.last_attempt_at),
    delivery.last_status_code ? h("span", { class: "block small" }, t("webhooks.http_status", { code: delivery.last_status_code }))
      : null,
    delivery.last_error ? h("span", { class: "block small muted" }, delivery.last_error) : null];
}

/** "Gửi lại" for one delivery: 202, a new delivery is queued. */
function replayButton(delivery, status) {
  const button = h("button", { type: "button", class: "button secondary small-button",
    "aria-label": t("webhooks.replay_named", { event: eventTypeLabel(delivery.event_type) }) }, t("webhooks.replay"));
  button.addEventListener("click", async () => {
    button.disabled = true;
    status.replaceChildren();
    try {
      await api.request(`/webhooks/deliveries/${encodeURIComponent(delivery.id)}/replay`, { method: "POST" });
      status.replaceChildren(notice(t("webhooks.replayed"), "success"));
    } catch (error) {
      if (error.status !== 401) status.replaceChildren(webhookError(error));
    } finally {
      button.disabled = false;
      status.focus();
    }
  });
  return button;
}

export async function renderWebhook(ctx) {
  const { main, me, code: id, params, navigate } = ctx;
  main.appendChild(h("p", { class: "breadcrumb" }, h("a", { href: "#/webhooks" }, t("webhooks.back"))));
  if (!api.hasRole(me, "admin")) {
    main.appendChild(heading(t("webhooks.title")));
    main.appendChild(notice(t("webhooks.not_allowed"), "warning"));
    return;
  }
  const status = DELIVERY_STATUSES.includes(params.get("status")) ? params.get("status") : "";
  const offset = Math.max(0, Number(params.get("offset")) || 0);
  let hook;
  try {
    hook = await api.get(webhookPath(id));
  } catch (error) {
    if (error.status === 401 || !ctx.stillCurrent()) return;
    main.append(heading(t("webhooks.title")), webhookError(error));
    return;
  }
  if (!ctx.stillCurrent()) return;
  const agencies = await api.agencyIndex().catch(() => new Map());
  if (!ctx.stillCurrent()) return;
  const agencyName = (code) => (agencies.get(code) ? agencies.get(code).name : code);
  const pageStatus = h("div", { class: "page-status", tabindex: "-1" });
  const title = h("div", { class: "title-row" });
  const facts = h("section", { class: "card" });
  // Saving redraws the title and the facts only: a secret shown on this page must stay until it is copied.
  const show = (current) => {
    title.replaceChildren(heading(t("webhooks.one", { name: current.name })), activeBadge(current.active));
    facts.replaceChildren(h("h2", {}, t("detail.general")), h("dl", { class: "facts" },
      h("dt", {}, t("webhooks.agency")), h("dd", {}, agencyName(current.agency_code)),
      h("dt", {}, t("webhooks.url")), h("dd", { class: "filename" }, current.url),
      h("dt", {}, t("webhooks.events")), h("dd", {}, (current.event_types || []).map(eventTypeLabel).join(", ")
        || t("webhooks.all_events")),
      h("dt", {}, t("integrations.created")), h("dd", {}, current.created_by || "", " ",
        current.created_at ? timeElement(current.created_at) : null)));
  };
  show(hook);
  main.append(title, pageStatus, facts, editPanel(hook, pageStatus, show));

  const deliveries = h("section", { class: "panel", "aria-labelledby": "deliveries-title" },
    h("h2", { id: "deliveries-title" }, t("webhooks.deliveries")));
  main.append(deliveries, replaySincePanel(hook));
  const filter = select([["", t("webhooks.all_statuses")], ...DELIVERY_STATUSES.map((s) => [s, deliveryStatusLabel(s)])],
    { value: status });
  const filterForm = h("form", { class: "filters compact", "aria-label": t("list.filters") },
    h("fieldset", { class: "inline" }, h("legend", {}, t("list.filters")), field(t("field.state"), filter),
      h("div", { class: "actions" }, h("button", { type: "submit", class: "button primary" }, t("list.apply")))));
  filterForm.addEventListener("submit", (event) => {
    event.preventDefault();
    navigate(`/webhooks/${encodeURIComponent(id)}`, { status: filter.value });
  });
  const listStatus = h("div", { class: "page-status", tabindex: "-1" });
  const listArea = h("div", { class: "results", "aria-busy": "true" }, h("p", { class: "loading" }, t("app.loading")));
  deliveries.append(filterForm, listStatus, listArea);
  let page;
  try {
    page = await api.get(`${webhookPath(id)}/deliveries`, { status, limit: LIMIT, offset });
  } catch (error) {
    listArea.removeAttribute("aria-busy");
    if (error.status !== 401) listArea.replaceChildren(webhookError(error));
    return;
  }
  if (!ctx.stillCurrent()) return;
  listArea.removeAttribute("aria-busy");
  listArea.replaceChildren();
  if (!page.count) {
    listArea.appendChild(notice(t("webhooks.no_deliveries")));
    return;
  }
  listArea.appendChild(table(t("webhooks.deliveries_caption"), [
    t("webhooks.event"), t("field.state"), t("webhooks.attempts"), t("webhooks.created_at"), t("webhooks.last_attempt"),
    t("webhooks.delivered_at"), t("shares.actions"),
  ], page.data.map((delivery) => [
    h("a", { href: `#/webhooks/${encodeURIComponent(id)}/deliveries/${encodeURIComponent(delivery.id)}` },
      eventTypeLabel(delivery.event_type)),
    [deliveryBadge(delivery.status), delivery.replay_of ? h("span", { class: "block muted small" }, t("webhooks.is_replay"))
      : null],
    formatNumber(delivery.attempts, 0),
    timeElement(delivery.created_at),
    lastAttempt(delivery),
    timeElement(delivery.delivered_at),
    replayButton(delivery, listStatus),
  ]), { numeric: [2] }));
  listArea.appendChild(pager(page.count, LIMIT, offset,
    (next) => navigate(`/webhooks/${encodeURIComponent(id)}`, { status, offset: next || "" })));
}

/** Name, address, events and on/off (PATCH), and a new secret. `saved(hook)` shows the saved settings. */
function editPanel(hook, pageStatus, saved) {
  const name = h("input", { type: "text", maxlength: "200", value: hook.name, autocomplete: "off" });
  const url = h("input", { type: "url", maxlength: "2000", value: hook.url, autocomplete: "off", spellcheck: "false" });
  const events = eventTypesField(hook.event_types && hook.event_types.length ? hook.event_types : undefined);
  const active = h("input", { type: "checkbox", id: "webhook-active", checked: hook.active });
  const formStatus = h("div", { class: "form-status", tabindex: "-1" });
  const submit = h("button", { type: "submit", class: "button primary" }, t("webhooks.save"));
  const form = h("form", { class: "form-grid stack", novalidate: true },
    field(t("webhooks.name"), name, { required: true, wide: true }),
    field(t("webhooks.url"), url, { required: true, wide: true, hint: t("webhooks.url_hint") }),
    events.element,
    h("div", { class: "field checkbox" }, active, h("label", { for: active.id }, t("webhooks.active_label"))),
    h("div", { class: "actions" }, submit));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    formStatus.replaceChildren();
    if (!name.value.trim() || !url.value.trim() || !events.chosen().length) {
      formStatus.replaceChildren(errorBox({ message: t("webhooks.need_all") }));
      formStatus.focus();
      return;
    }
    submit.disabled = true;
    try {
      const { data } = await api.request(webhookPath(hook.id), {
        method: "PATCH",
        json: { name: name.value.trim(), url: url.value.trim(), event_types: events.chosen(), active: active.checked },
      });
      saved({ ...hook, ...data });
      formStatus.replaceChildren(notice(t("webhooks.saved"), "success"));
    } catch (error) {
      if (error.status !== 401) formStatus.replaceChildren(webhookError(error));
    } finally {
      submit.disabled = false;
      formStatus.focus();
    }
  });
  const rotate = h("button", { type: "button", class: "button secondary" }, t("webhooks.rotate"));
  rotate.addEventListener("click", async () => {
    if (!window.confirm(t("webhooks.rotate_confirm", { name: hook.name }))) return;
    rotate.disabled = true;
    pageStatus.replaceChildren();
    try {
      const { data } = await api.request(`${webhookPath(hook.id)}/rotate-secret`, { method: "POST" });
      pageStatus.replaceChildren(secretBox({ ...hook, ...data }));
    } catch (error) {
      if (error.status !== 401) {
        pageStatus.replaceChildren(webhookError(error));
        pageStatus.focus();
      }
    } finally {
      rotate.disabled = false;
    }
  });
  return h("section", { class: "panel", "aria-labelledby": "webhook-edit-title" },
    h("h2", { id: "webhook-edit-title" }, t("webhooks.settings")),
    h("div", { class: "toolbar" }, rotate, h("p", { class: "hint toolbar-hint" }, t("webhooks.rotate_hint"))),
    formStatus, form);
}

/** POST /webhooks/{id}/replay {since, until?, status?} → 202 {count}. */
function replaySincePanel(hook) {
  const since = h("input", { type: "date" });
  const until = h("input", { type: "date" });
  const which = select([["", t("webhooks.all_statuses")], ...DELIVERY_STATUSES.map((s) => [s, deliveryStatusLabel(s)])],
    { value: "failed" });
  const formStatus = h("div", { class: "form-status", tabindex: "-1" });
  const submit = h("button", { type: "submit", class: "button primary" }, t("webhooks.replay_since_submit"));
  const form = h("form", { class: "form-grid compact", novalidate: true },
    field(t("webhooks.since"), since, { required: true }),
    field(t("webhooks.until"), until, { hint: t("webhooks.until_hint") }),
    field(t("field.state"), which),
    h("div", { class: "actions" }, submit));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    formStatus.replaceChildren();
    if (!since.value) {
      formStatus.replaceChildren(errorBox({ message: t("webhooks.need_since") }));
      since.focus();
      return;
    }
    const body = { since: startOfVietnamDay(since.value) };
    if (until.value) body.until = startOfVietnamDay(nextDay(until.value));
    if (which.value) body.status = which.value;
    submit.disabled = true;
    try {
      const { data } = await api.request(`${webhookPath(hook.id)}/replay`, { method: "POST", json: body });
      formStatus.replaceChildren(notice(t("webhooks.replayed_n", { n: formatNumber((data && data.count) || 0, 0) }),
        "success"));
    } catch (error) {
      if (error.status !== 401) formStatus.replaceChildren(webhookError(error));
    } finally {
      submit.disabled = false;
      formStatus.focus();
    }
  });
  return h("section", { class: "panel", "aria-labelledby": "replay-title" },
    h("h2", { id: "replay-title" }, t("webhooks.replay_since")),
    h("p", { class: "hint" }, t("webhooks.replay_since_hint")), formStatus, form);
}

// --- one delivery ------------------------------------------------------------------------------------------

export async function renderDelivery(ctx) {
  const { main, me, code: hookId, match } = ctx;
  const deliveryId = decodeURIComponent(match[2]);
  main.appendChild(h("p", { class: "breadcrumb" },
    h("a", { href: `#/webhooks/${encodeURIComponent(hookId)}` }, t("webhooks.back_to_deliveries"))));
  if (!api.hasRole(me, "admin")) {
    main.appendChild(heading(t("webhooks.title")));
    main.appendChild(notice(t("webhooks.not_allowed"), "warning"));
    return;
  }
  let delivery;
  try {
    delivery = await api.get(`/webhooks/deliveries/${encodeURIComponent(deliveryId)}`);
  } catch (error) {
    if (error.status === 401 || !ctx.stillCurrent()) return;
    main.append(heading(t("webhooks.delivery_title")), webhookError(error));
    return;
  }
  if (!ctx.stillCurrent()) return;
  const status = h("div", { class: "page-status", tabindex: "-1" });
  // The detail carries the attempts themselves where the list has their number.
  const attempts = Array.isArray(delivery.attempts) ? delivery.attempts : [];
  const attemptCount = Array.isArray(delivery.attempts) ? delivery.attempts.length : delivery.attempts;
  main.append(
    h("div", { class: "title-row" }, heading(t("webhooks.delivery_title")), deliveryBadge(delivery.status)),
    status,
    h("div", { class: "toolbar" }, replayButton(delivery, status)),
    h("section", { class: "card" }, h("h2", {}, t("detail.general")), h("dl", { class: "facts" },
      h("dt", {}, t("webhooks.event")), h("dd", {}, eventTypeLabel(delivery.event_type), " ",
        h("span", { class: "code muted small" }, delivery.event_type)),
      h("dt", {}, t("webhooks.event_id")), h("dd", { class: "code" }, delivery.event_id),
      h("dt", {}, t("webhooks.attempts")), h("dd", {}, formatNumber(attemptCount, 0)),
      h("dt", {}, t("webhooks.created_at")), h("dd", {}, timeElement(delivery.created_at)),
      h("dt", {}, t("webhooks.next_attempt")), h("dd", {}, delivery.status === "pending"
        ? timeElement(delivery.next_attempt_at) : t("app.dash")),
      h("dt", {}, t("webhooks.last_attempt")), h("dd", {}, lastAttempt(delivery)),
      h("dt", {}, t("webhooks.delivered_at")), h("dd", {}, timeElement(delivery.delivered_at)),
      delivery.replay_of ? [h("dt", {}, t("webhooks.replay_of")), h("dd", {},
        h("a", { href: `#/webhooks/${encodeURIComponent(hookId)}/deliveries/${encodeURIComponent(delivery.replay_of)}` },
          delivery.replay_of))] : null)),
    h("section", { class: "panel", "aria-labelledby": "attempts-title" },
      h("h2", { id: "attempts-title" }, t("webhooks.attempts_title")),
      attempts.length ? table(t("webhooks.attempts_caption"), [
        t("access.at"), t("webhooks.status_code"), t("webhooks.error"), t("webhooks.duration"),
      ], attempts.map((attempt) => [
        timeElement(attempt.at), attempt.status_code === null || attempt.status_code === undefined
          ? t("app.dash") : String(attempt.status_code),
        attempt.error || t("app.dash"), t("webhooks.ms", { n: formatNumber(attempt.duration_ms, 0) }),
      ]), { numeric: [3] }) : h("p", { class: "muted" }, t("webhooks.no_attempts"))),
    h("section", { class: "panel", "aria-labelledby": "payload-title" },
      h("h2", { id: "payload-title" }, t("webhooks.payload")),
      h("pre", { class: "payload", tabindex: "0" }, JSON.stringify(delivery.payload ?? {}, null, 2))));
}
