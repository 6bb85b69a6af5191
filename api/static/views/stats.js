// "Thống kê": timeliness per agency (/stats/timeliness?per_agency=true) and procedure coverage.

import * as api from "../api.js";
import { h, errorBox, field, formatPercent, heading, notice, table } from "../dom.js";
import { t } from "../i18n.js";

const COUNTS = ["received", "resolved", "resolved_early", "resolved_on_time", "resolved_late", "open_on_time",
  "open_late", "paused"];

export async function renderStats(ctx) {
  const { main, params, navigate } = ctx;
  const from = params.get("from") || "";
  const to = params.get("to") || "";
  const showAll = params.get("all") === "1";
  main.appendChild(heading(t("stats.title")));

  const fromInput = h("input", { type: "date", value: from });
  const toInput = h("input", { type: "date", value: to });
  const form = h("form", { class: "filters compact", "aria-label": t("stats.period") },
    h("fieldset", { class: "inline" }, h("legend", {}, t("stats.period")),
      field(t("list.received_from"), fromInput), field(t("list.received_to"), toInput),
      h("div", { class: "actions" }, h("button", { type: "submit", class: "button primary" }, t("stats.apply")))));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    navigate("/stats", { from: fromInput.value, to: toInput.value, all: showAll ? "1" : "" });
  });
  main.appendChild(form);

  const [timeliness, coverage, agencies] = await Promise.all([
    api.get("/stats/timeliness", { per_agency: "true", received_from: from, received_to: to }).catch((e) => e),
    api.get("/procedures/coverage").catch((e) => e),
    api.agencyIndex().catch(() => new Map()),
  ]);
  const agencyName = (code) => {
    if (!code) return t("stats.total");
    const agency = agencies.get(code);
    return agency ? agency.name : code;
  };

  const timelinessSection = h("section", { class: "panel", "aria-labelledby": "stats-timeliness" },
    h("h2", { id: "stats-timeliness" }, t("stats.timeliness")));
  main.appendChild(timelinessSection);
  if (timeliness instanceof Error) {
    timelinessSection.appendChild(errorBox(timeliness));
  } else if (!timeliness.data.length) {
    timelinessSection.appendChild(notice(t("stats.empty")));
  } else {
    const rows = timeliness.data.map((row) => [agencyName(row.agency_code), ...COUNTS.map((k) => String(row[k])),
      rateCell(row.on_time_rate)]);
    if (timeliness.data.length > 1) {
      const total = Object.fromEntries(COUNTS.map((k) => [k, timeliness.data.reduce((sum, row) => sum + row[k], 0)]));
      const rate = total.resolved ? (total.resolved_early + total.resolved_on_time) / total.resolved : null;
      rows.push(h("tr", { class: "total" }, h("th", { scope: "row" }, t("stats.total")),
        COUNTS.map((k) => h("td", { class: "num" }, String(total[k]))), h("td", { class: "num" }, rateCell(rate))));
    }
    timelinessSection.appendChild(table(t("stats.timeliness_caption"), [
      t("stats.agency"), t("stats.received"), t("stats.resolved"), t("stats.early"), t("stats.on_time"), t("stats.late"),
      t("stats.open_on_time"), t("stats.open_late"), t("stats.paused"), t("stats.rate"),
    ], rows, { numeric: [1, 2, 3, 4, 5, 6, 7, 8, 9] }));
  }

  const coverageSection = h("section", { class: "panel", "aria-labelledby": "stats-coverage" },
    h("h2", { id: "stats-coverage" }, t("stats.coverage")));
  main.appendChild(coverageSection);
  if (coverage instanceof Error) {
    coverageSection.appendChild(errorBox(coverage));
    return;
  }
  const toggle = h("input", { type: "checkbox", id: "coverage-all", checked: showAll,
    onchange: () => navigate("/stats", { from, to, all: toggle.checked ? "1" : "" }) });
  coverageSection.appendChild(h("div", { class: "field checkbox" }, toggle, h("label", { for: "coverage-all" }, t("stats.coverage_all"))));
  const items = coverage.data.filter((row) => showAll || row.published > 0)
    .sort((a, b) => agencyName(a.agency_code).localeCompare(agencyName(b.agency_code), "vi"));
  if (!items.length) {
    coverageSection.appendChild(notice(t("stats.coverage_empty")));
    return;
  }
  const rows = items.map((row) => [agencyName(row.agency_code), String(row.published), String(row.configured),
    rateCell(row.published ? row.ratio : null)]);
  rows.push(h("tr", { class: "total" }, h("th", { scope: "row" }, t("stats.total")),
    h("td", { class: "num" }, String(coverage.published)), h("td", { class: "num" }, String(coverage.configured)),
    h("td", { class: "num" }, rateCell(coverage.published ? coverage.configured / coverage.published : null))));
  coverageSection.appendChild(table(t("stats.coverage_caption"),
    [t("stats.agency"), t("stats.published"), t("stats.configured"), t("stats.ratio")], rows, { numeric: [1, 2, 3] }));
}

/** A percentage with a small bar (the bar is decoration; the number is the content). */
function rateCell(ratio) {
  if (ratio === null || ratio === undefined) return formatPercent(null);
  const width = `${Math.round(Math.max(0, Math.min(1, ratio)) * 100)}%`;
  const bar = h("span", { class: "bar", "aria-hidden": "true" }, h("span", { class: "bar-fill" }));
  bar.firstChild.style.width = width;
  return h("span", { class: "rate" }, bar, h("span", {}, formatPercent(ratio)));
}
