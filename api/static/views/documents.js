// A dossier's documents, shown in the detail view: the list with each document's processing status, the
// upload form (views/upload.js), status polling until indexed or failed, downloads with the bearer token,
// the page texts, page thumbnails, "retry" for failed and stuck documents and "who read it" (its access log). A linked
// dossier also lists its group's shared papers, marked as such.
//
// Everything that outlives a render (poll timers, thumbnail object URLs) belongs to the panel's scope and
// is released by dispose(), which the detail view runs when it redraws and the router when the view is left.

import * as api from "../api.js";
import { h, errorBox, formatBytes, formatDate, formatNumber, formatPercent, notice, timeElement, uid } from "../dom.js";
import { docStatusLabel, docTypeLabel, pageSourceLabel, t } from "../i18n.js";
import { logOnDemand, mayAuditDocuments } from "./access_log.js";
import { uploadForm as buildUploadForm } from "./upload.js";

export { DOCUMENT_TYPES } from "./upload.js";
const FINISHED = ["indexed", "failed"];
const POLL_MS = 2000;
const THUMBS_PER_STEP = 12; // thumbnails shown at first, and added by each "show more"
const THUMB_FETCHES = 3; // thumbnails fetched at the same time
const DOWNLOAD_URL_LIFETIME_MS = 60 * 1000;
const CHANGING_ROLES = ["reception", "processing", "leader", "admin"];

const documentPath = (id) => `/documents/${encodeURIComponent(id)}`;

/**
 * Whether the officer may add documents: a working role, and the dossier held by their agency or one it
 * succeeded (the API decides again and answers 403 not_the_holder otherwise). A share that allows
 * attaching is checked separately (sharedForAttaching).
 */
export function canAddDocuments(me, dossier) {
  if (!me || !me.roles.some((role) => CHANGING_ROLES.includes(role))) return false;
  if (me.roles.includes("admin")) return true;
  return api.ownAgencies(me).includes(dossier.holder_agency_code);
}

/** Whether an active whole-dossier share with the officer's agency lets it attach (its results). */
async function sharedForAttaching(me, dossier) {
  if (dossier.access_reason !== "share" || !api.hasRole(me, ...CHANGING_ROLES)) return false;
  const { data } = await api.get("/shares/received", { active: "true", limit: 200 });
  return data.some((share) => share.dossier_code === dossier.code && share.whole_dossier && share.allow_attach);
}

/** Saves a Blob under `filename` through a temporary link. */
export function saveBlob(blob, filename) {
  const url = URL.createObjectURL(blob);
  const link = h("a", { href: url, download: filename, hidden: true });
  document.body.appendChild(link);
  link.click();
  link.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), DOWNLOAD_URL_LIFETIME_MS);
}

/**
 * The "Tài liệu" section. `env`: {ctx, dossier, path} from detail.js. `documentId` (and `page`): the
 * document whose text to open, scrolled to that page (links from search results). Returns {section, dispose,
 * current, loaded}: current() gives the documents shown now, `loaded` resolves once the first list is in.
 */
export function documentsPanel(env, { documentId = null, page = null } = {}) {
  const { ctx, dossier } = env;
  const scope = { disposed: false, timers: new Map(), urls: new Map() };
  const alive = () => !scope.disposed && ctx.stillCurrent();
  const documents = new Map(); // id → latest document
  const cards = new Map(); // id → the card element now shown

  const countText = h("span", { class: "muted count" });
  const heading = h("h2", { id: "documents-title" }, t("docs.title"), " ", countText);
  const announcer = h("p", { class: "visually-hidden", role: "status", "aria-live": "polite" });
  const status = h("div", { class: "page-status" });
  const list = h("ul", { class: "documents", "aria-labelledby": "documents-title" });
  const listArea = h("div", { "aria-busy": "true" }, h("p", { class: "loading" }, t("app.loading")));
  const section = h("section", { class: "panel", id: "documents", "aria-labelledby": "documents-title" },
    heading, announcer, status, listArea);
  let uploadArea = canAddDocuments(ctx.me, dossier) ? uploadForm() : null;
  const notHolder = h("p", { class: "muted small" }, t("upload.not_holder"));
  section.appendChild(uploadArea || notHolder);
  if (!uploadArea) {
    sharedForAttaching(ctx.me, dossier).then((allowed) => {
      if (!allowed || !alive()) return;
      uploadArea = uploadForm({ viaShare: true });
      notHolder.replaceWith(uploadArea);
    }).catch(() => {}); // the hint stays; the API would refuse anyway
  }
  let markLoaded;
  const loaded = new Promise((resolve) => {
    markLoaded = resolve;
  });

  function dispose() {
    scope.disposed = true;
    for (const timer of scope.timers.values()) window.clearTimeout(timer);
    scope.timers.clear();
    for (const id of [...scope.urls.keys()]) revokeUrls(id);
  }

  function trackUrl(id, blob) {
    const url = URL.createObjectURL(blob);
    if (!scope.urls.has(id)) scope.urls.set(id, new Set());
    scope.urls.get(id).add(url);
    return url;
  }

  function revokeUrls(id) {
    for (const url of scope.urls.get(id) || []) URL.revokeObjectURL(url);
    scope.urls.delete(id);
  }

  function updateCount() {
    countText.textContent = t("docs.count", { count: formatNumber(documents.size, 0) });
  }

  // --- list and cards ----------------------------------------------------------------------------------

  async function load() {
    let answer;
    try {
      answer = await api.get(`${env.path}/documents`);
    } catch (error) {
      if (!alive() || error.status === 401) return;
      listArea.removeAttribute("aria-busy");
      listArea.replaceChildren(errorBox(error));
      markLoaded();
      return;
    }
    if (!alive()) return;
    for (const doc of answer.data) documents.set(doc.id, doc);
    markLoaded();
    listArea.removeAttribute("aria-busy");
    listArea.replaceChildren(list);
    renderList();
    for (const doc of answer.data) if (!FINISHED.includes(doc.status)) watch(doc.id);
    if (uploadArea && documents.size === 0) uploadArea.open = true;
    if (documentId) openRequested();
  }

  function renderList() {
    updateCount();
    list.replaceChildren();
    cards.clear();
    if (documents.size === 0) {
      list.appendChild(h("li", { class: "muted empty" }, t("docs.empty")));
      return;
    }
    for (const doc of documents.values()) {
      const card = documentCard(doc);
      cards.set(doc.id, card);
      list.appendChild(card);
    }
  }

  /** Shows `doc` (new or changed); announces a status change. */
  function showDocument(doc) {
    const before = documents.get(doc.id);
    documents.set(doc.id, doc);
    const old = cards.get(doc.id);
    if (!old) {
      if (documents.size === 1) list.replaceChildren(); // drop the "no documents" line
      const card = documentCard(doc);
      cards.set(doc.id, card);
      list.appendChild(card);
      updateCount();
      return;
    }
    if (before && before.status === doc.status && before.page_count === doc.page_count) return;
    revokeUrls(doc.id);
    const card = documentCard(doc);
    cards.set(doc.id, card);
    old.replaceWith(card);
    if (before && before.status !== doc.status) {
      announcer.textContent = t("docs.status_changed", { title: doc.title, status: docStatusLabel(doc.status) });
    }
  }

  function documentCard(doc) {
    const titleId = uid("doc-title");
    const busy = !FINISHED.includes(doc.status);
    const inherited = doc.dossier_code !== dossier.code; // a group paper, read through the linked dossier
    const facts = [
      [t("docs.field_type"), docTypeLabel(doc.document_type)],
      [t("docs.field_file"), h("span", { class: "filename" }, doc.filename)],
      [t("docs.field_size"), formatBytes(doc.size_bytes)],
      [t("docs.field_pages"), doc.page_count === null ? t("app.dash") : formatNumber(doc.page_count, 0)],
      [t("docs.field_uploaded"), [doc.uploaded_by, ", ", timeElement(doc.uploaded_at)]],
    ];
    if (doc.uploaded_agency_code) facts.push([t("docs.field_uploaded_agency"), env.agencyName(doc.uploaded_agency_code)]);
    if (doc.number_notation) facts.push([t("docs.field_number"), doc.number_notation]);
    if (doc.issuing_organ) facts.push([t("docs.field_organ"), doc.issuing_organ]);
    if (doc.issued_date) facts.push([t("docs.field_issued"), h("time", { datetime: doc.issued_date }, formatIsoDate(doc.issued_date))]);
    if (doc.signer) facts.push([t("docs.field_signer"), doc.signer]);
    if (doc.subject) facts.push([t("docs.field_subject"), doc.subject]);

    const message = h("div", { class: "doc-message" });
    const textArea = h("div", { class: "doc-text", id: uid("doc-text"), hidden: true });
    const thumbArea = h("div", { class: "doc-thumbs", id: uid("doc-thumbs"), hidden: true });
    const actions = h("div", { class: "doc-actions" });

    const original = h("button", { type: "button", class: "button secondary small-button" }, t("docs.download"));
    original.addEventListener("click", () => download(original, `${documentPath(doc.id)}/original`, doc.filename,
      t("docs.download"), message));
    actions.appendChild(original);
    if (doc.links && doc.links.searchable_pdf) {
      const pdf = h("button", { type: "button", class: "button secondary small-button" }, t("docs.searchable"));
      pdf.addEventListener("click", () => download(pdf, `${documentPath(doc.id)}/searchable.pdf`,
        `${doc.filename.replace(/\.[^.]*$/, "")}-searchable.pdf`, t("docs.searchable"), message));
      actions.appendChild(pdf);
    }
    const textToggle = h("button", {
      type: "button", class: "button secondary small-button toggle", "aria-expanded": "false",
      "aria-controls": textArea.id,
    }, t("docs.text"));
    textToggle.addEventListener("click", () => toggleText(doc, textToggle, textArea));
    actions.appendChild(textToggle);
    if (doc.status === "indexed" && doc.page_count > 0) {
      const thumbToggle = h("button", {
        type: "button", class: "button secondary small-button toggle", "aria-expanded": "false",
        "aria-controls": thumbArea.id,
      }, t("docs.thumbs"));
      thumbToggle.addEventListener("click", () => toggleThumbs(doc, thumbToggle, thumbArea));
      actions.appendChild(thumbToggle);
    }
    if ((doc.status === "failed" || doc.stuck) && doc.links && doc.links.retry) {
      const retry = h("button", { type: "button", class: "button primary small-button" }, t("docs.retry"));
      retry.addEventListener("click", () => retryDocument(doc, retry, message));
      actions.appendChild(retry);
    }
    let readersArea = null;
    if (mayAuditDocuments(ctx.me)) {
      const readers = logOnDemand({
        path: `${documentPath(doc.id)}/access-log`, label: t("docs.readers"),
        caption: t("docs.readers_caption", { title: doc.title || doc.filename }), agencyName: env.agencyName,
        deniedText: t("docs.readers_denied"), documentColumn: false,
      });
      actions.appendChild(readers.toggle);
      readersArea = readers.area;
    }

    const groupLink = h("a", { href: `#/dossiers/${encodeURIComponent(doc.dossier_code)}`, class: "code" }, doc.dossier_code);
    return h("li", {
      class: `doc-card doc-${doc.status}${inherited ? " doc-inherited" : ""}`, id: `doc-${doc.id}`, tabindex: "-1",
      "aria-labelledby": titleId,
    },
      h("div", { class: "doc-head" },
        h("h3", { id: titleId }, doc.title || doc.filename),
        doc.is_result ? h("span", { class: "badge result" }, t("docs.result")) : null,
        statusBadge(doc.status)),
      inherited ? h("p", { class: "doc-group" }, t("docs.group_paper"), " ", groupLink) : null,
      busy ? h("p", { class: "hint" }, t("docs.processing_hint")) : null,
      h("dl", { class: "facts doc-facts" }, facts.map(([label, value]) => [h("dt", {}, label), h("dd", {}, value)])),
      doc.status === "failed" ? h("div", { class: "alert alert-error" },
        h("p", { class: "alert-title" }, t("docs.failed_title")),
        h("p", {}, doc.failure_reason || t("app.dash")),
        doc.failure_code ? h("p", { class: "error-code" }, t("error.code", { code: doc.failure_code })) : null) : null,
      actions, message, readersArea, thumbArea, textArea);
  }

  // --- polling -------------------------------------------------------------------------------------------

  function watch(id) {
    if (!alive() || scope.timers.has(id)) return;
    scope.timers.set(id, window.setTimeout(() => poll(id), POLL_MS));
  }

  async function poll(id) {
    scope.timers.delete(id);
    if (!alive()) return;
    let doc;
    try {
      // The status alone while it runs (not written to the access log); the document once, when it is done.
      const status = await api.get(`${documentPath(id)}/status`);
      doc = FINISHED.includes(status.status) ? await api.get(documentPath(id)) : { ...documents.get(id), ...status };
    } catch (error) {
      if (!alive() || error.status === 401) return;
      const card = cards.get(id);
      const box = card && card.querySelector(".doc-message");
      if (box) box.replaceChildren(notice(t("docs.poll_error", { message: error.message }), "warning"));
      if (error.status === 0 || error.status >= 500) watch(id); // transient: keep asking
      return;
    }
    if (!alive()) return;
    showDocument(doc);
    if (!FINISHED.includes(doc.status)) watch(id);
  }

  // --- actions -------------------------------------------------------------------------------------------

  async function download(button, path, filename, label, message) {
    button.disabled = true;
    button.textContent = t("docs.download_busy");
    message.replaceChildren();
    try {
      const { data: blob } = await api.request(path, { raw: true });
      saveBlob(blob, filename);
    } catch (error) {
      if (error.status !== 401) message.replaceChildren(errorBox(error));
    } finally {
      button.disabled = false;
      button.textContent = label;
    }
  }

  async function retryDocument(doc, button, message) {
    button.disabled = true;
    button.textContent = t("docs.retry_busy");
    message.replaceChildren();
    try {
      const { data } = await api.request(`${documentPath(doc.id)}/retry`, { method: "POST" });
      if (!alive()) return;
      showDocument(data);
      status.replaceChildren(notice(t("docs.retried", { title: data.title }), "success"));
      watch(data.id);
    } catch (error) {
      button.disabled = false;
      button.textContent = t("docs.retry");
      if (error.status !== 401 && alive()) message.replaceChildren(errorBox(error));
    }
  }

  function setExpanded(toggle, area, open) {
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    area.hidden = !open;
  }

  /** Opens (loading once) or closes the page texts. Resolves when they are shown. */
  async function toggleText(doc, toggle, area, { open = null } = {}) {
    const opening = open === null ? toggle.getAttribute("aria-expanded") !== "true" : open;
    setExpanded(toggle, area, opening);
    if (!opening || area.dataset.loaded === "true") return;
    area.replaceChildren(h("p", { class: "loading" }, t("app.loading")));
    area.setAttribute("aria-busy", "true");
    let text;
    try {
      text = await api.get(`${documentPath(doc.id)}/text`);
    } catch (error) {
      area.removeAttribute("aria-busy");
      if (error.status !== 401) area.replaceChildren(errorBox(error));
      return;
    }
    area.removeAttribute("aria-busy");
    area.dataset.loaded = "true";
    area.replaceChildren();
    area.appendChild(h("h4", { class: "visually-hidden" }, t("docs.text_title", { title: doc.title })));
    if (!text.pages.length) {
      area.appendChild(h("p", { class: "muted" },
        FINISHED.includes(text.status) ? t("docs.text_none") : t("docs.text_not_ready")));
      return;
    }
    for (const pageText of text.pages) {
      // confidence: the mean OCR word confidence, 0-100
      const source = pageText.source === "ocr" && pageText.confidence !== null
        ? t("docs.source_confidence", { source: pageSourceLabel(pageText.source), confidence: formatPercent(pageText.confidence / 100) })
        : pageSourceLabel(pageText.source);
      const pageId = `doc-${doc.id}-page-${pageText.page_number}`;
      area.appendChild(h("section", { class: "page-text", id: pageId, tabindex: "-1", "aria-labelledby": `${pageId}-h` },
        h("h5", { id: `${pageId}-h` }, t("docs.page", { n: pageText.page_number }),
          h("span", { class: "page-source" }, source)),
        pageText.text.trim()
          ? h("pre", { class: "page-body", lang: "vi" }, pageText.text)
          : h("p", { class: "muted small" }, t("docs.page_blank"))));
    }
  }

  function toggleThumbs(doc, toggle, area) {
    const opening = toggle.getAttribute("aria-expanded") !== "true";
    setExpanded(toggle, area, opening);
    if (!opening || area.dataset.loaded === "true") return;
    area.dataset.loaded = "true";
    const grid = h("ul", { class: "thumbs" });
    const more = h("button", { type: "button", class: "button secondary small-button" });
    area.replaceChildren(grid);
    let shown = 0;
    const showMore = () => {
      const upTo = Math.min(doc.page_count, shown + THUMBS_PER_STEP);
      const numbers = [];
      for (let n = shown + 1; n <= upTo; n += 1) numbers.push(n);
      const figures = numbers.map((n) => {
        const figure = h("li", { class: "thumb" },
          h("figure", {}, h("div", { class: "thumb-image loading" }, t("app.loading")),
            h("figcaption", {}, t("docs.page", { n }))));
        grid.appendChild(figure);
        return [n, figure];
      });
      shown = upTo;
      if (shown < doc.page_count) {
        more.textContent = t("docs.thumbs_more", { shown: formatNumber(shown, 0), total: formatNumber(doc.page_count, 0) });
        if (!more.isConnected) area.appendChild(more);
      } else {
        more.remove();
      }
      loadThumbs(doc, figures);
    };
    more.addEventListener("click", showMore);
    showMore();
  }

  /** Fetches thumbnails with the bearer token, a few at a time, into object URLs owned by the scope. */
  async function loadThumbs(doc, figures) {
    const queue = [...figures];
    const card = cards.get(doc.id);
    const stillShown = () => alive() && cards.get(doc.id) === card;
    const worker = async () => {
      while (queue.length && stillShown()) {
        const [n, figure] = queue.shift();
        const slot = figure.querySelector(".thumb-image");
        try {
          const { data: blob } = await api.request(`${documentPath(doc.id)}/pages/${n}/thumbnail.png`, { raw: true });
          if (!stillShown()) return;
          const img = h("img", { src: trackUrl(doc.id, blob), alt: t("docs.thumb_alt", { n, title: doc.title }),
                                 loading: "lazy", decoding: "async" });
          slot.replaceWith(img);
        } catch (error) {
          if (error.status === 401) return;
          slot.classList.remove("loading");
          slot.classList.add("failed");
          slot.textContent = t("docs.thumb_failed");
        }
      }
    };
    await Promise.all(Array.from({ length: THUMB_FETCHES }, worker));
  }

  /** The document (and page) a search result pointed at: scrolled to, with its text open. */
  async function openRequested() {
    const card = cards.get(documentId);
    if (!card) {
      status.replaceChildren(notice(t("docs.not_in_dossier"), "warning"));
      return;
    }
    const toggle = card.querySelector(".doc-actions .toggle");
    const area = card.querySelector(".doc-text");
    await toggleText(documents.get(documentId), toggle, area, { open: true });
    if (!alive()) return;
    const target = (page && document.getElementById(`doc-${documentId}-page-${page}`)) || card;
    target.classList.add("target");
    card.scrollIntoView({ block: "start" }); // the document's title first, then the page if it is further down
    if (target !== card) target.scrollIntoView({ block: "nearest" });
    target.focus({ preventScroll: true });
  }

  /** 409 duplicate_document: the existing card, when shown here, is scrolled to and focused. */
  function focusCard(id) {
    const card = cards.get(id);
    if (!card) return false; // not shown here: the link reloads the view on that document
    for (const other of list.querySelectorAll(".doc-card.target")) other.classList.remove("target");
    card.classList.add("target");
    card.scrollIntoView({ block: "start" });
    card.focus({ preventScroll: true });
    return true;
  }

  /** What the upload form (views/upload.js) needs of the panel. */
  function uploadForm({ viaShare = false } = {}) {
    return buildUploadForm({
      path: env.path, dossierCode: dossier.code, alive, documents, focusCard,
      added: (doc) => {
        showDocument(doc);
        if (!FINISHED.includes(doc.status)) watch(doc.id);
      },
    }, { viaShare });
  }

  load();
  return { section, dispose, current: () => [...documents.values()], loaded };
}

function statusBadge(status) {
  return h("span", { class: `badge doc-status doc-status-${status}` }, docStatusLabel(status));
}

/** "2025-03-10" (a date without time zone) as 10/03/2025. */
function formatIsoDate(value) {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value || "");
  return match ? `${match[3]}/${match[2]}/${match[1]}` : formatDate(value);
}
