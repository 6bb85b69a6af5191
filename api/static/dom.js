// DOM building without HTML parsing: every piece of data goes in as a text node.
// Also the date and number formats (Vietnam time, dd/mm/yyyy HH:mm).

import { lang, stateLabel, t } from "./i18n.js";

/**
 * h("a", {href: "#/x", class: "link", onclick: fn}, "text", child, [more])
 * Strings become text nodes; null, undefined and false are skipped.
 */
export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") element.className = value;
    else if (name === "text") element.textContent = value;
    else if (name.startsWith("on") && typeof value === "function") element.addEventListener(name.slice(2), value);
    else if (name === "value") element.value = value;
    else if (name === "checked" || name === "selected") element[name] = Boolean(value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  append(element, children);
  return element;
}

function append(parent, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else if (child instanceof Node) parent.appendChild(child);
    else parent.appendChild(document.createTextNode(String(child)));
  }
}

export function clear(element) {
  while (element.firstChild) element.removeChild(element.firstChild);
  return element;
}

let idCounter = 0;
export function uid(prefix = "f") {
  idCounter += 1;
  return `${prefix}-${idCounter}`;
}

// --- formats ---------------------------------------------------------------------------------------

const VIETNAM_OFFSET_MS = 7 * 60 * 60 * 1000; // UTC+7 all year, no daylight saving
const pad = (n) => String(n).padStart(2, "0");

function vietnamParts(iso) {
  if (!iso) return null;
  const time = Date.parse(iso);
  if (Number.isNaN(time)) return null;
  const local = new Date(time + VIETNAM_OFFSET_MS);
  return {
    day: pad(local.getUTCDate()), month: pad(local.getUTCMonth() + 1), year: local.getUTCFullYear(),
    hour: pad(local.getUTCHours()), minute: pad(local.getUTCMinutes()),
  };
}

/** "27/11/2026 08:30" in Vietnam time, or a dash. */
export function formatDateTime(iso) {
  const p = vietnamParts(iso);
  return p ? `${p.day}/${p.month}/${p.year} ${p.hour}:${p.minute}` : t("app.dash");
}

export function formatDate(iso) {
  const p = vietnamParts(iso);
  return p ? `${p.day}/${p.month}/${p.year}` : t("app.dash");
}

/** The machine-readable value for <time datetime>. */
export function timeElement(iso, withTime = true) {
  if (!iso) return document.createTextNode(t("app.dash"));
  return h("time", { datetime: iso }, withTime ? formatDateTime(iso) : formatDate(iso));
}

const locale = () => (lang() === "vi" ? "vi-VN" : "en-GB");

export function formatNumber(value, digits = 2) {
  if (value === null || value === undefined) return t("app.dash");
  return new Intl.NumberFormat(locale(), { maximumFractionDigits: digits }).format(value);
}

/** A file size: "850 byte", "12,5 KB", "2,6 MB" (1 KB = 1024 bytes). */
export function formatBytes(bytes) {
  if (bytes === null || bytes === undefined) return t("app.dash");
  if (bytes < 1024) return t("size.bytes", { n: formatNumber(bytes, 0) });
  if (bytes < 1024 * 1024) return t("size.kb", { n: formatNumber(bytes / 1024, 1) });
  if (bytes < 1024 * 1024 * 1024) return t("size.mb", { n: formatNumber(bytes / (1024 * 1024), 1) });
  return t("size.gb", { n: formatNumber(bytes / (1024 * 1024 * 1024), 2) });
}

export function formatPercent(ratio) {
  if (ratio === null || ratio === undefined) return t("app.dash");
  return new Intl.NumberFormat(locale(), { style: "percent", maximumFractionDigits: 1 }).format(ratio);
}

/** A datetime-local input value ("2026-12-01T08:00") read as Vietnam time, as ISO with +07:00. */
export function vietnamLocalToIso(value) {
  if (!value) return null;
  const withSeconds = value.length === 16 ? `${value}:00` : value;
  return `${withSeconds}+07:00`;
}

// --- small widgets -----------------------------------------------------------------------------------

export function stateBadge(state) {
  return h("span", { class: `badge state state-${state}` }, stateLabel(state));
}

export function lateBadge(overdueDays) {
  if (!(overdueDays > 0)) return null;
  return h("span", { class: "badge late" }, t("late.badge", { days: formatNumber(overdueDays, 1) }));
}

// Request-validation errors (detail.errors[].type) carry English-only texts from the API; the common
// ones get a message in the UI language, the rest keep the API's text.
const VALIDATION_MESSAGES = {
  string_too_short: () => t("error.too_short"),
  too_short: () => t("error.too_short"),
  string_too_long: () => t("error.too_long"),
  too_long: () => t("error.too_long"),
  missing: () => t("error.missing"),
  enum: () => t("error.invalid_choice"),
  literal_error: () => t("error.invalid_choice"),
  value_error: () => t("error.invalid_value"),
  string_type: () => t("error.invalid_value"),
  datetime_from_date_parsing: () => t("error.invalid_value"),
  timezone_aware: () => t("error.invalid_value"),
};

/** The message for one item of detail.errors, in the UI language when the type is a known one. */
export function validationMessage(item) {
  const localized = VALIDATION_MESSAGES[item.type];
  return localized ? localized() : item.msg;
}

/** An error box (role=alert): the API message and its code, optionally field-level errors. */
export function errorBox(error, title = null) {
  const items = [];
  const errors = error && error.detail && Array.isArray(error.detail.errors) ? error.detail.errors : [];
  for (const item of errors) {
    const loc = (item.loc || []).filter((part) => part !== "body").join(".");
    items.push(h("li", {}, t("error.field", { field: loc, message: validationMessage(item) })));
  }
  return h("div", { class: "alert alert-error", role: "alert" },
    title ? h("p", { class: "alert-title" }, title) : null,
    h("p", {}, error.message || String(error)),
    error.code ? h("p", { class: "error-code" }, t("error.code", { code: error.code })) : null,
    items.length ? h("ul", {}, items) : null);
}

export function notice(text, kind = "info") {
  return h("div", { class: `alert alert-${kind}`, role: kind === "error" ? "alert" : "status" }, text);
}

/** A captioned table in a keyboard-scrollable wrapper. `head`: header texts; `rows`: arrays of cells. */
export function table(caption, head, rows, { numeric = [] } = {}) {
  const headRow = h("tr", {}, head.map((label, i) => h("th", { scope: "col", class: numeric.includes(i) ? "num" : null }, label)));
  const body = rows.map((cells) => (cells instanceof Node ? cells
    : h("tr", {}, cells.map((cell, i) => h(i === 0 ? "th" : "td", {
      scope: i === 0 ? "row" : null, class: numeric.includes(i) ? "num" : null,
    }, cell)))));
  return h("div", { class: "table-wrap", tabindex: "0", role: "region", "aria-label": caption },
    h("table", {}, h("caption", {}, caption), h("thead", {}, headRow), h("tbody", {}, body)));
}

/**
 * Previous / next with "showing a–b of n". `go(offset)` is called with the new offset. `windowEnd`: the API
 * answers no row past this position (offset + limit), whatever the count.
 */
export function pager(count, limit, offset, go, { windowEnd = Infinity } = {}) {
  const from = count === 0 ? 0 : offset + 1;
  const to = Math.min(offset + limit, count);
  return h("nav", { class: "pager", "aria-label": t("page.label") },
    h("p", { class: "pager-summary", "aria-live": "polite" },
      count === 0 ? t("page.none") : t("page.summary", { from, to, total: count })),
    h("div", { class: "pager-buttons" },
      h("button", { type: "button", class: "button secondary", disabled: offset <= 0,
                    onclick: () => go(Math.max(0, offset - limit)) }, t("page.prev")),
      h("button", { type: "button", class: "button secondary",
                    disabled: offset + limit >= count || offset + 2 * limit > windowEnd,
                    onclick: () => go(offset + limit) }, t("page.next"))));
}

/** A labelled field: <div class="field"><label for=id>label</label>control hint</div> */
export function field(label, control, { required = false, hint = null, wide = false } = {}) {
  if (!control.id) control.id = uid();
  const hintNode = hint ? h("p", { class: "hint", id: `${control.id}-hint` }, hint) : null;
  if (hintNode) control.setAttribute("aria-describedby", hintNode.id);
  if (required) {
    control.required = true;
    control.setAttribute("aria-required", "true");
  }
  return h("div", { class: wide ? "field wide" : "field" },
    h("label", { for: control.id }, label, required ? h("span", { class: "req", "aria-hidden": "true" }, " *") : null),
    control, hintNode);
}

export function select(options, { value = "", id = null, name = null } = {}) {
  const element = h("select", { id, name });
  for (const [optionValue, label] of options) {
    element.appendChild(h("option", { value: optionValue }, label));
  }
  element.value = value;
  return element;
}

export function heading(text) {
  // tabindex=-1 so the router can move focus here after a view change
  return h("h1", { tabindex: "-1", class: "view-title" }, text);
}

export function dossierLink(code) {
  return h("a", { href: `#/dossiers/${encodeURIComponent(code)}`, class: "code" }, code);
}

/**
 * Wires a form's submit: `check()` returns [message, control] to refuse (shown in `status`, the control
 * focused) or nothing; then `send()` runs with the button disabled and the form marked busy. An API error is
 * shown in `status` by `describe` (a 401 is left to the sign-in flow, which takes over the page).
 */
export function onSubmit(form, { submit, status, check = () => null, send, describe = errorBox }) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    status.replaceChildren();
    const refused = check();
    if (refused) {
      const [message, control] = refused;
      status.replaceChildren(errorBox({ message }));
      (control || status).focus();
      return;
    }
    submit.disabled = true;
    form.setAttribute("aria-busy", "true");
    try {
      await send();
    } catch (error) {
      if (error.status !== 401) {
        status.replaceChildren(describe(error));
        status.focus();
      }
    } finally {
      submit.disabled = false;
      form.removeAttribute("aria-busy");
    }
  });
}
