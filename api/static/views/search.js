// "Tra cứu": full-text search over dossiers and their documents' pages, with filters, facet counts,
// pagination and highlighted snippets. The query and filters live in the hash (#/search?q=...&state=...)
// so that the back button and a copied link give the same results.
//
// Snippets come from the API as HTML-escaped text with <mark> around the matched words. They are never
// parsed as HTML: renderSnippet() splits on the two tags and builds text nodes and <mark> elements.

import * as api from "../api.js";
import {
  h, dossierLink, errorBox, field, formatNumber, heading, notice, pager, select, stateBadge, timeElement,
} from "../dom.js";
import { docTypeLabel, stateLabel, t } from "../i18n.js";
import { DOCUMENT_TYPES } from "./documents.js";
import { STATES } from "./dossiers.js";

const PAGE_SIZES = [10, 20, 50];
const WINDOW_END = 1000; // the API pages through the first 1000 results only
const FACETS_SHOWN = 8; // values per facet before "more"

// Hash parameter ↔ API query parameter.
const FILTER_PARAMS = {
  field: "field", procedure: "procedure_code", state: "state", type: "document_type", agency: "agency_code",
  from: "received_from", to: "received_to",
};
// Facet name in the API answer → hash parameter.
const FACET_PARAMS = { field: "field", procedure: "procedure", state: "state", document_type: "type", agency: "agency" };
const FACET_ORDER = ["field", "procedure", "state", "document_type", "agency"];

// --- snippets ------------------------------------------------------------------------------------------

const ENTITIES = { "&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": "\"", "&#x27;": "'", "&#39;": "'" };

/** Undoes the server's HTML escaping (the five entities), in one pass so "&amp;lt;" stays "&lt;". */
export function unescapeHtml(text) {
  return text.replace(/&(?:amp|lt|gt|quot|#x27|#39);/gi, (entity) => ENTITIES[entity.toLowerCase()] ?? entity);
}

/** Text nodes and <mark> elements for a snippet such as "…xác nhận <mark>hoàn</mark> cảnh…". */
export function renderSnippet(snippet) {
  const nodes = [];
  let marked = false;
  for (const part of String(snippet).split(/(<mark>|<\/mark>)/)) {
    if (part === "<mark>") marked = true;
    else if (part === "</mark>") marked = false;
    else if (part) {
      const text = unescapeHtml(part);
      nodes.push(marked ? h("mark", {}, text) : document.createTextNode(text));
    }
  }
  return nodes;
}

// --- parameters ----------------------------------------------------------------------------------------

function readParams(params) {
  const limit = Number(params.get("limit")) || 10;
  const state = { q: params.get("q") || "" };
  for (const name of Object.keys(FILTER_PARAMS)) state[name] = params.get(name) || "";
  state.limit = PAGE_SIZES.includes(limit) ? limit : 10;
  state.offset = Math.min(Math.max(0, Number(params.get("offset")) || 0), WINDOW_END - state.limit);
  return state;
}

function hashParams(state) {
  return { ...state, limit: state.limit === 10 ? "" : state.limit, offset: state.offset || "" };
}

const hasFilters = (state) => Object.keys(FILTER_PARAMS).some((name) => state[name]);

// --- the view ------------------------------------------------------------------------------------------

export async function renderSearch(ctx) {
  const { main, params, navigate } = ctx;
  const state = readParams(params);
  main.appendChild(heading(t("search.title")));
  main.appendChild(h("p", { class: "lead" }, t("search.intro")));

  const [procedures, agencies] = await Promise.all([
    api.procedureIndex().catch(() => new Map()),
    api.agencyIndex().catch(() => new Map()),
  ]);
  if (!ctx.stillCurrent()) return;
  const labels = facetLabels(procedures, agencies);
  const go = (changes) => navigate("/search", hashParams({ ...state, offset: 0, ...changes }));

  main.appendChild(searchForm(state, procedures, go, navigate));
  const chips = activeFilters(state, labels, go);
  if (chips) main.appendChild(chips);

  const results = h("div", { class: "search-layout" });
  main.appendChild(results);
  if (!state.q.trim() && !hasFilters(state)) {
    results.appendChild(notice(t("search.start")));
    return;
  }

  const area = h("div", { class: "results", "aria-busy": "true" }, h("p", { class: "loading" }, t("app.loading")));
  results.appendChild(area);
  const query = { q: state.q.trim(), limit: state.limit, offset: state.offset };
  for (const [name, apiName] of Object.entries(FILTER_PARAMS)) query[apiName] = state[name];
  let answer;
  try {
    answer = await api.get("/search", query);
  } catch (error) {
    if (!ctx.stillCurrent()) return;
    area.removeAttribute("aria-busy");
    area.replaceChildren(errorBox(error));
    return;
  }
  if (!ctx.stillCurrent()) return;
  area.removeAttribute("aria-busy");
  area.replaceChildren();

  const facetPanel = facetsAside(answer.facets || {}, state, labels, go);
  if (facetPanel) results.prepend(facetPanel);
  area.appendChild(h("h2", { id: "results-title" }, t("search.results")));
  area.appendChild(h("p", { class: "result-count" }, t("search.count", { count: formatNumber(answer.count, 0) })));
  if (answer.count === 0 || !answer.data.length) {
    area.appendChild(notice(answer.count === 0 ? t("search.empty") : t("search.past_end")));
    return;
  }
  const list = h("ol", { class: "hits", start: String(state.offset + 1), "aria-labelledby": "results-title" },
    answer.data.map((hit) => hitItem(hit, procedures, agencies)));
  area.appendChild(list);
  if (answer.count > WINDOW_END) area.appendChild(h("p", { class: "hint" }, t("search.window", { max: formatNumber(WINDOW_END, 0) })));
  area.appendChild(pager(answer.count, state.limit, state.offset,
    (offset) => navigate("/search", hashParams({ ...state, offset })), { windowEnd: WINDOW_END }));
}

function searchForm(state, procedures, go, navigate) {
  const queryInput = h("input", {
    type: "search", name: "q", value: state.q, maxlength: "500", autocomplete: "off", spellcheck: "false",
    placeholder: t("search.placeholder"),
  });
  const fields = [...new Set([...procedures.values()].map((p) => p.field).filter(Boolean))]
    .sort((a, b) => a.localeCompare(b, "vi"));
  const fieldSelect = withValue(select([["", t("search.all_fields")], ...fields.map((f) => [f, f])]), state.field);
  const procedureSelect = withValue(select([["", t("list.all_procedures")],
    ...[...procedures.values()].sort((a, b) => a.name.localeCompare(b.name, "vi")).map((p) => [p.code, `${p.name} (${p.code})`])]),
  state.procedure);
  const stateSelect = withValue(select([["", t("list.all_states")], ...STATES.map((s) => [s, stateLabel(s)])]), state.state);
  const typeSelect = withValue(select([["", t("search.all_types")], ...DOCUMENT_TYPES.map((d) => [d, docTypeLabel(d)])]),
    state.type);
  const fromInput = h("input", { type: "date", name: "from", value: state.from });
  const toInput = h("input", { type: "date", name: "to", value: state.to });
  const sizeSelect = select(PAGE_SIZES.map((n) => [String(n), String(n)]), { value: String(state.limit) });

  const form = h("form", { class: "search-form", role: "search", "aria-label": t("search.title") },
    h("div", { class: "search-box" },
      field(t("search.query"), queryInput, { wide: true, hint: t("search.examples") }),
      h("div", { class: "actions" }, h("button", { type: "submit", class: "button primary" }, t("search.submit")))),
    h("details", { class: "filter-panel", open: hasFilters(state) || null },
      h("summary", {}, t("list.filters")),
      h("div", { class: "filters" },
        field(t("search.field"), fieldSelect),
        field(t("field.procedure"), procedureSelect, { wide: true }),
        field(t("field.state"), stateSelect),
        field(t("docs.field_type"), typeSelect),
        field(t("list.received_from"), fromInput),
        field(t("list.received_to"), toInput),
        field(t("page.size"), sizeSelect),
        h("div", { class: "actions" },
          h("button", { type: "submit", class: "button primary" }, t("list.apply")),
          h("button", { type: "button", class: "button secondary", onclick: () => navigate("/search", { q: state.q }) },
            t("list.reset"))))));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    go({
      q: queryInput.value.trim(), field: fieldSelect.value, procedure: procedureSelect.value, state: stateSelect.value,
      type: typeSelect.value, from: fromInput.value, to: toInput.value, limit: Number(sizeSelect.value),
    });
  });
  return form;
}

/** Selects `value`, adding it as an option when the list does not have it (a value from a copied link). */
function withValue(element, value) {
  if (value && ![...element.options].some((option) => option.value === value)) {
    element.appendChild(h("option", { value }, value));
  }
  element.value = value || "";
  return element;
}

function facetLabels(procedures, agencies) {
  return {
    field: { title: () => t("search.field"), value: (v) => v },
    procedure: { title: () => t("field.procedure"), value: (v) => (procedures.get(v) ? procedures.get(v).name : v) },
    state: { title: () => t("field.state"), value: (v) => (STATES.includes(v) ? stateLabel(v) : v) },
    document_type: { title: () => t("docs.field_type"), value: (v) => (DOCUMENT_TYPES.includes(v) ? docTypeLabel(v) : v) },
    agency: { title: () => t("field.receiving_agency"), value: (v) => (agencies.get(v) ? agencies.get(v).name : v) },
  };
}

/** The filters in force, each with a button that removes it. */
function activeFilters(state, labels, go) {
  const items = [];
  for (const [facet, param] of Object.entries(FACET_PARAMS)) {
    if (!state[param]) continue;
    const label = `${labels[facet].title()}: ${labels[facet].value(state[param])}`;
    items.push([param, label]);
  }
  if (state.from) items.push(["from", `${t("list.received_from")}: ${state.from.split("-").reverse().join("/")}`]);
  if (state.to) items.push(["to", `${t("list.received_to")}: ${state.to.split("-").reverse().join("/")}`]);
  if (!items.length) return null;
  return h("div", { class: "chips", role: "group", "aria-label": t("search.active_filters") },
    h("span", { class: "chips-title" }, t("search.active_filters")),
    items.map(([param, label]) => h("button", {
      type: "button", class: "chip", "aria-label": t("search.remove_filter", { label }),
      onclick: () => go({ [param]: "" }),
    }, label, h("span", { class: "chip-x", "aria-hidden": "true" }, " ×"))));
}

/** Facet counts (facet → value → count) as buttons that set, or for the value in force clear, the filter. */
function facetsAside(facets, state, labels, go) {
  const groups = [];
  for (const name of FACET_ORDER) {
    const values = Object.entries(facets[name] || {}).filter(([, count]) => count > 0)
      .sort((a, b) => b[1] - a[1] || String(a[0]).localeCompare(String(b[0]), "vi"));
    if (!values.length || !labels[name]) continue;
    const param = FACET_PARAMS[name];
    const button = ([value, count]) => {
      const active = state[param] === value;
      const label = labels[name].value(value);
      return h("li", {}, h("button", {
        type: "button", class: "facet", "aria-pressed": active ? "true" : "false", title: label !== value ? value : null,
        onclick: () => go({ [param]: active ? "" : value }),
      }, h("span", { class: "facet-label" }, label), " ",
      h("span", { class: "facet-count" }, formatNumber(count, 0))));
    };
    const titleId = `facet-${name}`;
    const group = h("section", { class: "facet-group", "aria-labelledby": titleId },
      h("h3", { id: titleId }, labels[name].title()),
      h("ul", {}, values.slice(0, FACETS_SHOWN).map(button)));
    if (values.length > FACETS_SHOWN) {
      group.appendChild(h("details", {}, h("summary", {}, t("search.facet_more", { n: values.length - FACETS_SHOWN })),
        h("ul", {}, values.slice(FACETS_SHOWN).map(button))));
    }
    groups.push(group);
  }
  if (!groups.length) return null;
  return h("aside", { class: "facets", "aria-labelledby": "facets-title" },
    h("h2", { id: "facets-title" }, t("search.facets")), groups);
}

/** One hit: the dossier's labels (state, applicant, procedure, agency, dates) and the page snippets, all from
 * the search answer itself — opening every hit's dossier would cost requests and log reads nobody made. */
function hitItem(hit, procedures, agencies) {
  const code = hit.dossier_code;
  const snippets = hit.highlights.length
    ? h("ul", { class: "snippets" }, hit.highlights.map((highlight) => h("li", { "data-document": highlight.document_id },
      h("div", { class: "snippet-source" },
        h("a", {
          class: "page-link",
          href: `#/dossiers/${encodeURIComponent(code)}?doc=${encodeURIComponent(highlight.document_id)}&page=${highlight.page_number}`,
          "aria-label": t("search.open_page", { n: highlight.page_number, code }),
        }, t("docs.page", { n: highlight.page_number })),
        h("span", { class: "snippet-document muted small" }, highlight.document_title || "")),
      h("p", { class: "snippet" }, renderSnippet(highlight.snippet)))))
    : h("p", { class: "muted small" }, t("search.no_snippet"));
  return h("li", { class: "hit" },
    h("div", { class: "hit-head" }, h("h3", {}, dossierLink(code)), hitMeta(hit.dossier, procedures, agencies)),
    hit.dossier && hit.dossier.parent_code
      ? h("p", { class: "small hit-group" }, t("search.in_group"), " ", dossierLink(hit.dossier.parent_code)) : null,
    snippets);
}

/** State, applicant, procedure, holder and dates of the hit's dossier (absent labels are left out). */
function hitMeta(dossier, procedures, agencies) {
  const meta = h("div", { class: "hit-meta" });
  if (!dossier) return meta;
  const procedure = procedures.get(dossier.procedure_code);
  const holder = agencies.get(dossier.holder_agency_code);
  meta.append(
    stateBadge(dossier.state),
    h("span", { class: "hit-applicant" }, dossier.applicant_name),
    h("span", { class: "muted small" }, procedure ? procedure.name : dossier.procedure_code),
    h("span", { class: "muted small" }, `${t("late.holder")}: `,
      holder ? holder.short_name || holder.name : dossier.holder_agency_code),
    h("span", { class: "muted small" }, `${t("field.received_at")}: `, timeElement(dossier.received_at, false)),
    h("span", { class: "muted small" }, `${t("field.due_at")}: `, timeElement(dossier.due_at, false)));
  return meta;
}
