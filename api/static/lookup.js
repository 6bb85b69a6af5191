// The citizens' lookup page (/tra-cuu → /ui/tra-cuu.html): the dossier code and the secret printed on the
// intake receipt give the dossier's state, its appointment date, the progress of its linked dossiers and
// short-lived links to download its results. No sign-in, no token.
// Its own small dictionary below, one "key": "text", per line (tests/api/test_ui.py checks that every key
// used here exists in both languages); the language choice is shared with the officers' UI.

import { request } from "./api.js";
import { clear, errorBox, field, formatBytes, formatDateTime, h, timeElement } from "./dom.js";
import { lang, setLang } from "./i18n.js";

const vi = {
  "page.title": "Tra cứu hồ sơ",
  "page.site": "Hồ sơ một cửa",
  "page.subtitle": "Tra cứu tình trạng giải quyết hồ sơ thủ tục hành chính",
  "page.intro": "Nhập mã hồ sơ và mã tra cứu in trên giấy tiếp nhận hồ sơ và hẹn trả kết quả.",
  "page.skip": "Bỏ qua, đến nội dung chính",
  "page.footer": "Hệ thống thông tin giải quyết thủ tục hành chính — Bộ phận Một cửa",
  "page.privacy": "Trang này chỉ hiển thị tình trạng hồ sơ, không hiển thị thông tin cá nhân.",
  "lang.switch": "English",
  "lang.switch_label": "Switch to English",
  "form.label": "Thông tin tra cứu",
  "form.code": "Mã hồ sơ",
  "form.code_hint": "Ví dụ: 000.60.01.H19-260302-0001",
  "form.secret": "Mã tra cứu",
  "form.secret_hint": "Ví dụ: 7KQ4-M9XA-TC. Không phân biệt chữ hoa, chữ thường, dấu gạch ngang.",
  "form.submit": "Tra cứu",
  "form.busy": "Đang tra cứu…",
  "form.missing_code": "Nhập mã hồ sơ.",
  "form.missing_secret": "Nhập mã tra cứu.",
  "form.failed": "Không tra cứu được",
  "result.title": "Hồ sơ {code}",
  "result.state": "Tình trạng",
  "result.late": "Quá hạn",
  "result.on_time": "Trong hạn",
  "result.procedure": "Thủ tục",
  "result.procedure_value": "{name} (mã {code})",
  "result.agency": "Nơi tiếp nhận",
  "result.received_at": "Ngày tiếp nhận",
  "result.due_at": "Ngày hẹn trả kết quả",
  "result.extended_due_at": "Ngày hẹn trả mới (gia hạn)",
  "result.resolved_at": "Ngày có kết quả",
  "result.completed_at": "Ngày kết thúc",
  "hint.supplement_requested": "Hồ sơ cần bổ sung giấy tờ. Vui lòng liên hệ Bộ phận Một cửa nơi nộp hồ sơ.",
  "hint.awaiting_fees": "Hồ sơ đang chờ thực hiện nghĩa vụ tài chính (nộp phí, lệ phí, thuế).",
  "hint.resolved": "Hồ sơ đã có kết quả. Mời ông/bà đến nhận kết quả theo giấy hẹn.",
  "hint.refused": "Hồ sơ không được giải quyết. Vui lòng liên hệ Bộ phận Một cửa để biết lý do.",
  "linked.title": "Hồ sơ liên thông",
  "linked.caption": "Tiến độ các hồ sơ liên thông được tiếp nhận cùng",
  "linked.code": "Mã hồ sơ",
  "linked.procedure": "Thủ tục",
  "linked.agency": "Cơ quan giải quyết",
  "linked.state": "Tình trạng",
  "linked.due_at": "Hẹn trả",
  "linked.resolved_at": "Có kết quả",
  "results.title": "Kết quả giải quyết",
  "results.download": "Tải về: {title}",
  "results.size": "{type}, {size}",
  "results.expires": "Đường dẫn có hiệu lực đến {time}; sau đó hãy tra cứu lại để nhận đường dẫn mới.",
  "results.none": "Chưa có kết quả điện tử để tải về.",
  "state.new": "Đã nộp, chờ tiếp nhận",
  "state.received": "Đã tiếp nhận",
  "state.refused": "Từ chối giải quyết",
  "state.processing": "Đang giải quyết",
  "state.supplement_requested": "Cần bổ sung hồ sơ",
  "state.awaiting_fees": "Chờ thực hiện nghĩa vụ tài chính",
  "state.transferred": "Đang chuyển cơ quan liên quan giải quyết",
  "state.withdrawn": "Đã rút hồ sơ",
  "state.stopped": "Dừng giải quyết",
  "state.resolved": "Đã có kết quả",
  "state.result_returned": "Đã trả kết quả",
};

const en = {
  "page.title": "Look up a dossier",
  "page.site": "One-stop dossiers",
  "page.subtitle": "Follow your administrative procedure",
  "page.intro": "Enter the dossier code and the secret printed on your intake receipt.",
  "page.skip": "Skip to the main content",
  "page.footer": "Administrative procedure information system — One-stop desk",
  "page.privacy": "This page shows where the dossier stands, never personal data.",
  "lang.switch": "Tiếng Việt",
  "lang.switch_label": "Chuyển sang tiếng Việt",
  "form.label": "Lookup details",
  "form.code": "Dossier code",
  "form.code_hint": "For example: 000.60.01.H19-260302-0001",
  "form.secret": "Secret",
  "form.secret_hint": "For example: 7KQ4-M9XA-TC. Upper or lower case, with or without dashes.",
  "form.submit": "Look up",
  "form.busy": "Looking up…",
  "form.missing_code": "Enter the dossier code.",
  "form.missing_secret": "Enter the secret.",
  "form.failed": "The lookup did not succeed",
  "result.title": "Dossier {code}",
  "result.state": "State",
  "result.late": "Overdue",
  "result.on_time": "On time",
  "result.procedure": "Procedure",
  "result.procedure_value": "{name} (code {code})",
  "result.agency": "Received at",
  "result.received_at": "Received on",
  "result.due_at": "Result due (appointment)",
  "result.extended_due_at": "New appointment date (extension)",
  "result.resolved_at": "Result ready on",
  "result.completed_at": "Closed on",
  "hint.supplement_requested": "Papers must be added to the dossier. Please contact the one-stop desk where you filed it.",
  "hint.awaiting_fees": "The dossier awaits the payment of fees, charges or taxes.",
  "hint.resolved": "The result is ready. Please collect it as your receipt says.",
  "hint.refused": "The dossier will not be resolved. Please ask the one-stop desk for the reason.",
  "linked.title": "Linked dossiers",
  "linked.caption": "Progress of the linked dossiers received with it",
  "linked.code": "Dossier code",
  "linked.procedure": "Procedure",
  "linked.agency": "Agency in charge",
  "linked.state": "State",
  "linked.due_at": "Due",
  "linked.resolved_at": "Result ready",
  "results.title": "Results",
  "results.download": "Download: {title}",
  "results.size": "{type}, {size}",
  "results.expires": "The link works until {time}; look the dossier up again for a new one.",
  "results.none": "No electronic result to download yet.",
  "state.new": "Filed, awaiting intake",
  "state.received": "Received",
  "state.refused": "Refused",
  "state.processing": "Being processed",
  "state.supplement_requested": "Papers to add",
  "state.awaiting_fees": "Awaiting fees or taxes",
  "state.transferred": "With another agency",
  "state.withdrawn": "Withdrawn",
  "state.stopped": "Stopped",
  "state.resolved": "Result ready",
  "state.result_returned": "Result handed over",
};

const DICTIONARIES = { vi, en };

/** This page's text for `key` in the current language, with {placeholders} filled from `params`. */
function t(key, params = {}) {
  const text = DICTIONARIES[lang()][key] ?? vi[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

// test_ui.py checks every dossier state has its state.<value> key in both dictionaries above.
const stateLabel = (value) => t(`state.${value}`);

const HINTS = {
  supplement_requested: () => t("hint.supplement_requested"),
  awaiting_fees: () => t("hint.awaiting_fees"),
  resolved: () => t("hint.resolved"),
  refused: () => t("hint.refused"),
};

const header = document.getElementById("page-header");
const main = document.getElementById("main");
const page = { code: "", secret: "", found: null, error: null };

function renderHeader() {
  clear(header);
  document.getElementById("skip-link").textContent = t("page.skip");
  document.getElementById("footer-text").textContent = t("page.footer");
  const langButton = h("button", {
    type: "button", class: "button link-button lang-toggle", lang: lang() === "vi" ? "en" : "vi",
    "aria-label": t("lang.switch_label"),
    onclick: () => {
      setLang(lang() === "vi" ? "en" : "vi");
      page.error = null; // the API's message was in the other language
      render();
      langButton.focus();
    },
  }, t("lang.switch"));
  const brand = h("div", { class: "brand" },
    h("span", { class: "brand-emblem", "aria-hidden": "true" }, "★"),
    h("div", {}, h("p", { class: "brand-title" }, t("page.site")),
      h("p", { class: "brand-subtitle" }, t("page.subtitle"))));
  header.appendChild(h("div", { class: "header-top" }, brand, h("div", { class: "header-tools" }, langButton)));
}

function fact(label, value) {
  return [h("dt", {}, label), h("dd", {}, value)];
}

function linkedTable(linked) {
  const labels = [t("linked.code"), t("linked.procedure"), t("linked.agency"), t("linked.state"), t("linked.due_at"),
    t("linked.resolved_at")];
  const rows = linked.map((d) => h("tr", {},
    h("th", { scope: "row" }, h("span", { class: "code" }, d.code)),
    h("td", {}, d.procedure_name),
    h("td", {}, d.agency_name),
    h("td", {}, h("span", { class: `badge state state-${d.state}` }, stateLabel(d.state)), " ",
      d.late ? h("span", { class: "badge late" }, t("result.late")) : null),
    h("td", {}, timeElement(d.due_at)),
    h("td", {}, timeElement(d.resolved_at))));
  return h("div", { class: "table-wrap", tabindex: "0", role: "region", "aria-label": t("linked.caption") },
    h("table", {}, h("caption", {}, t("linked.caption")),
      h("thead", {}, h("tr", {}, labels.map((label) => h("th", { scope: "col" }, label)))),
      h("tbody", {}, rows)));
}

function resultList(results) {
  if (!results.length) return h("p", { class: "muted" }, t("results.none"));
  return h("ul", { class: "documents" }, results.map((r) => h("li", { class: "card" },
    h("a", { href: r.download_url, download: "", rel: "noopener" }, t("results.download", { title: r.title })),
    " ",
    h("span", { class: "muted small" }, `(${t("results.size", { type: r.media_type, size: formatBytes(r.size_bytes) })})`),
    h("p", { class: "hint" }, t("results.expires", { time: formatDateTime(r.expires_at) })))));
}

function resultCard(found) {
  const title = h("h2", { tabindex: "-1", id: "result-title" }, t("result.title", { code: found.code }));
  const hint = HINTS[found.state];
  const facts = h("dl", { class: "facts" },
    fact(t("result.state"), [h("span", { class: `badge state state-${found.state}` }, stateLabel(found.state)), " ",
      h("span", { class: found.late ? "badge late" : "badge state state-received" },
        found.late ? t("result.late") : t("result.on_time"))]),
    fact(t("result.procedure"), t("result.procedure_value", { name: found.procedure_name, code: found.procedure_code })),
    fact(t("result.agency"), found.agency_name),
    fact(t("result.received_at"), timeElement(found.received_at)),
    fact(t("result.due_at"), timeElement(found.due_at)),
    found.extended_due_at ? fact(t("result.extended_due_at"), timeElement(found.extended_due_at)) : null,
    found.resolved_at ? fact(t("result.resolved_at"), timeElement(found.resolved_at)) : null,
    found.completed_at ? fact(t("result.completed_at"), timeElement(found.completed_at)) : null);
  const showResults = found.results.length > 0 || ["resolved", "result_returned"].includes(found.state);
  return h("section", { class: "card", "aria-labelledby": "result-title" },
    title,
    facts,
    hint ? h("p", { class: "alert alert-info" }, hint()) : null,
    found.linked.length ? [h("h3", {}, t("linked.title")), linkedTable(found.linked)] : null,
    showResults ? [h("h3", {}, t("results.title")), resultList(found.results)] : null);
}

// The live regions stay in place from one lookup to the next (a region inserted afresh is often not read out);
// only their contents change.
const regions = { status: null, result: null };

function showOutcome({ focus = false } = {}) {
  regions.status.replaceChildren(...(page.error ? [errorBox(page.error, t("form.failed"))] : []));
  regions.result.replaceChildren(...(page.found ? [resultCard(page.found)] : []));
  if (focus && page.found) document.getElementById("result-title").focus();
}

function render() {
  document.documentElement.lang = lang();
  document.title = `${t("page.title")} — ${t("page.site")}`;
  renderHeader();
  clear(main);

  const code = h("input", { type: "text", name: "code", value: page.code, autocomplete: "off", spellcheck: "false",
                            autocapitalize: "characters", maxlength: "60" });
  const secret = h("input", { type: "text", name: "secret", value: page.secret, autocomplete: "off",
                              spellcheck: "false", autocapitalize: "characters", maxlength: "40" });
  const submit = h("button", { type: "submit", class: "button primary" }, t("form.submit"));
  regions.status = h("div", { class: "form-status", "aria-live": "assertive" });
  regions.result = h("div", { id: "lookup-result", "aria-live": "polite" });

  const form = h("form", { class: "login-form", novalidate: true, "aria-label": t("form.label") },
    field(t("form.code"), code, { required: true, hint: t("form.code_hint") }),
    field(t("form.secret"), secret, { required: true, hint: t("form.secret_hint") }),
    h("div", { class: "actions" }, submit));

  const refuse = (input, message) => {
    input.setAttribute("aria-invalid", "true");
    page.found = null;
    page.error = { message };
    showOutcome();
    input.focus();
  };

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    page.code = code.value.trim();
    page.secret = secret.value.trim();
    for (const input of [code, secret]) input.removeAttribute("aria-invalid");
    if (!page.code) return refuse(code, t("form.missing_code"));
    if (!page.secret) return refuse(secret, t("form.missing_secret"));
    submit.disabled = true;
    submit.textContent = t("form.busy");
    try {
      const { data } = await request("/public/lookup", {
        method: "POST", json: { code: page.code, secret: page.secret }, auth: false,
      });
      page.found = data;
      page.error = null;
    } catch (error) {
      page.found = null;
      page.error = error;
    }
    submit.disabled = false;
    submit.textContent = t("form.submit");
    showOutcome({ focus: true });
    if (page.error && page.error.code !== "too_many_attempts") secret.focus();
    return undefined;
  });

  main.appendChild(h("div", { class: "login-card" },
    h("h1", { tabindex: "-1" }, t("page.title")),
    h("p", { class: "lead" }, t("page.intro")),
    regions.status,
    form,
    h("p", { class: "hint" }, t("page.privacy"))));
  main.appendChild(regions.result);
  showOutcome();
}

page.code = new URLSearchParams(window.location.search).get("code") || "";
setLang(lang());
render();
