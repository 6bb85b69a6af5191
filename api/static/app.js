// hoso officers' UI: start-up, session, header and hash routing.
// Routes: #/dossiers  #/intake  #/dossiers/<code>  #/search  #/late  #/stats  #/shared  #/access-log
//         #/integrations  #/webhooks  #/webhooks/<id>  #/webhooks/<id>/deliveries/<delivery id>
// (query after "?", e.g. #/dossiers?state=processing, #/search?q=..., #/dossiers/<code>?doc=<id>&page=3)

import * as api from "./api.js";
import { h, clear, errorBox, heading, notice } from "./dom.js";
import { lang, roleLabel, setLang, t } from "./i18n.js";
import { renderLogin } from "./views/login.js";
import { renderDossierList } from "./views/dossiers.js";
import { renderIntake } from "./views/intake.js";
import { renderDossierDetail } from "./views/detail.js";
import { renderSearch } from "./views/search.js";
import { renderLate } from "./views/late.js";
import { renderStats } from "./views/stats.js";
import { renderShared } from "./views/shared.js";
import { renderAccessLog } from "./views/access_log.js";
import { mayDispose, renderDisposition, renderDispositions } from "./views/disposition.js";
import { renderIntegrations } from "./views/integrations.js";
import { renderWebhooks } from "./views/webhooks.js";
import { renderDelivery, renderWebhook } from "./views/webhook_deliveries.js";
import { renderArchive } from "./views/archive.js";
import { renderAuditChain } from "./views/audit_chain.js";
import { renderArchivalFile, renderArchivalFiles } from "./views/archival_files.js";
import { renderBags } from "./views/bags.js";

const header = document.getElementById("app-header");
const main = document.getElementById("main");

const session = { me: null, agencyName: "" };
let renderCount = 0; // bumped on every render; a view whose number is old stops touching the page
let leaveHandlers = []; // what the current view asked to run when it is left (stop timers, revoke object URLs)

function leaveView() {
  const handlers = leaveHandlers;
  leaveHandlers = [];
  for (const handler of handlers) {
    try {
      handler();
    } catch (_ignored) {
      // one view's clean-up failing must not stop the next view
    }
  }
}

const ROUTES = [
  { pattern: /^\/dossiers$/, nav: "dossiers", render: (ctx) => renderDossierList(ctx) },
  { pattern: /^\/intake$/, nav: "intake", render: (ctx) => renderIntake(ctx) },
  { pattern: /^\/dossiers\/([^/]+)$/, nav: "dossiers", render: (ctx) => renderDossierDetail(ctx) },
  { pattern: /^\/search$/, nav: "search", render: (ctx) => renderSearch(ctx) },
  { pattern: /^\/late$/, nav: "late", render: (ctx) => renderLate(ctx) },
  { pattern: /^\/stats$/, nav: "stats", render: (ctx) => renderStats(ctx) },
  { pattern: /^\/shared$/, nav: "shared", render: (ctx) => renderShared(ctx) },
  { pattern: /^\/access-log$/, nav: "access-log", render: (ctx) => renderAccessLog(ctx) },
  { pattern: /^\/disposition$/, nav: "disposition", render: (ctx) => renderDispositions(ctx) },
  { pattern: /^\/disposition\/([^/]+)$/, nav: "disposition", render: (ctx) => renderDisposition(ctx) },
  { pattern: /^\/integrations$/, nav: "integrations", render: (ctx) => renderIntegrations(ctx) },
  { pattern: /^\/webhooks$/, nav: "webhooks", render: (ctx) => renderWebhooks(ctx) },
  { pattern: /^\/archive$/, nav: "archive", render: (ctx) => renderArchive(ctx) },
  { pattern: /^\/archive\/files$/, nav: "archival-files", render: (ctx) => renderArchivalFiles(ctx) },
  { pattern: /^\/archive\/files\/([^/]+)$/, nav: "archival-files", render: (ctx) => renderArchivalFile(ctx) },
  { pattern: /^\/packages$/, nav: "packages", render: (ctx) => renderBags(ctx) },
  { pattern: /^\/webhooks\/([^/]+)$/, nav: "webhooks", render: (ctx) => renderWebhook(ctx) },
  { pattern: /^\/webhooks\/([^/]+)\/deliveries\/([^/]+)$/, nav: "webhooks", render: (ctx) => renderDelivery(ctx) },
  { pattern: /^\/archive\/audit$/, nav: "audit-chain", render: (ctx) => renderAuditChain(ctx) },
];

// [key, href, label, who sees it] — by role; the views and the API check again.
const navItems = () => [
  ["dossiers", "#/dossiers", t("nav.dossiers"), () => true],
  ["search", "#/search", t("nav.search"), () => true],
  ["intake", "#/intake", t("nav.intake"), (me) => api.canReceive(me)],
  ["late", "#/late", t("nav.late"), () => true],
  ["stats", "#/stats", t("nav.stats"), () => true],
  ["shared", "#/shared", t("nav.shared"), () => true],
  ["access-log", "#/access-log", t("nav.access_log"), (me) => api.hasRole(me, "auditor", "admin")],
  ["disposition", "#/disposition", t("nav.disposition"), (me) => mayDispose(me)],
  ["integrations", "#/integrations", t("nav.integrations"), (me) => api.hasRole(me, "admin", "leader")],
  ["webhooks", "#/webhooks", t("nav.webhooks"), (me) => api.hasRole(me, "admin")],
  ["archive", "#/archive", t("nav.archive"), (me) => api.hasRole(me, "archivist", "leader", "auditor", "admin")],
  ["audit-chain", "#/archive/audit", t("nav.audit_chain"), (me) => api.hasRole(me, "auditor", "archivist", "admin")],
  ["archival-files", "#/archive/files", t("nav.archival_files"),
    (me) => api.hasRole(me, "archivist", "leader", "auditor", "admin")],
  ["packages", "#/packages", t("nav.packages"), (me) => api.hasRole(me, "archivist", "leader", "admin")],
];

function parseHash() {
  const raw = window.location.hash.replace(/^#/, "") || "/dossiers";
  const [path, search = ""] = raw.split("?");
  return { path, params: new URLSearchParams(search) };
}

/** Go to `path` with `params` (an object; empty values left out). */
export function navigate(path, params = {}) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "" && value !== false) query.set(name, String(value));
  }
  const text = query.toString();
  const target = `#${path}${text ? `?${text}` : ""}`;
  if (window.location.hash === target) route();
  else window.location.hash = target;
}

function renderHeader(active) {
  clear(header);
  document.getElementById("footer-text").textContent = t("app.footer");
  document.getElementById("skip-link").textContent = t("app.skip");
  const langButton = h("button", {
    type: "button", class: "button link-button lang-toggle", lang: lang() === "vi" ? "en" : "vi",
    "aria-label": t("lang.switch_label"),
    onclick: () => {
      setLang(lang() === "vi" ? "en" : "vi");
      document.title = t("app.title");
      route();
    },
  }, t("lang.switch"));

  const brand = h("div", { class: "brand" },
    h("span", { class: "brand-emblem", "aria-hidden": "true" }, "★"),
    h("div", {}, h("p", { class: "brand-title" }, t("app.title")),
      h("p", { class: "brand-subtitle" }, t("app.subtitle"))));

  const top = h("div", { class: "header-top" }, brand);
  if (session.me) {
    const me = session.me;
    top.appendChild(h("section", { class: "officer", "aria-label": t("user.label") },
      h("p", { class: "officer-name" }, me.full_name || me.username),
      h("p", { class: "officer-agency" }, h("span", { class: "visually-hidden" }, `${t("user.agency")}: `),
        session.agencyName || me.agency_code),
      h("p", { class: "officer-roles" }, h("span", { class: "visually-hidden" }, `${t("user.roles")}: `),
        me.roles.map(roleLabel).join(", "))));
  }
  const tools = h("div", { class: "header-tools" }, langButton);
  if (session.me) {
    tools.appendChild(h("button", { type: "button", class: "button link-button", onclick: () => signOut() },
      t("user.logout")));
  }
  top.appendChild(tools);
  header.appendChild(top);

  if (session.me) {
    const items = navItems().filter(([, , , shown]) => shown(session.me))
      .map(([key, href, label]) => h("li", {}, h("a", { href, "aria-current": key === active ? "page" : null }, label)));
    header.appendChild(h("nav", { class: "main-nav", "aria-label": t("nav.label") }, h("ul", {}, items)));
  }
}

async function loadSession() {
  session.me = await api.get("/auth/me");
  try {
    const agencies = await api.agencyIndex();
    const agency = agencies.get(session.me.agency_code);
    session.agencyName = agency ? agency.name : "";
  } catch (_ignored) {
    session.agencyName = "";
  }
}

function showLogin(message = null) {
  session.me = null;
  renderCount += 1; // whatever view was loading is no longer current
  leaveView();
  api.clearCache();
  document.title = `${t("login.title")} — ${t("app.title")}`;
  renderHeader(null);
  clear(main);
  renderLogin(main, {
    message,
    onLoggedIn: async () => {
      await startSession();
    },
  });
}

function signOut() {
  api.logout();
  api.clearCache();
  showLogin(notice(t("login.logged_out"), "info"));
}

async function startSession() {
  clear(main);
  main.appendChild(h("p", { class: "loading" }, t("app.loading")));
  try {
    await loadSession();
  } catch (error) {
    if (error.status !== 401) showLogin(notice(error.message, "error"));
    return;
  }
  if (!window.location.hash || window.location.hash === "#" || window.location.hash === "#/") {
    window.location.hash = "#/dossiers";
    return; // hashchange renders
  }
  route();
}

async function route() {
  document.documentElement.lang = lang();
  if (!api.token() || !session.me) {
    if (api.token() && !session.me) {
      await startSession();
      return;
    }
    showLogin();
    return;
  }
  const { path, params } = parseHash();
  const match = ROUTES.map((r) => ({ r, m: r.pattern.exec(path) })).find((x) => x.m);
  leaveView();
  renderHeader(match ? match.r.nav : null);
  clear(main);
  renderCount += 1;
  const mine = renderCount;
  // Each render gets its own container: a slow answer for a view the user already left lands in a
  // detached node instead of the page.
  const view = h("div", { class: "view" });
  main.appendChild(view);
  const ctx = {
    main: view, me: session.me, agencyName: session.agencyName, params, navigate,
    code: match && match.m[1] ? decodeURIComponent(match.m[1]) : null,
    match: match ? match.m : null,
    stillCurrent: () => mine === renderCount,
    // Runs `handler` when the user leaves this view (another route, sign-out, language switch). A handler
    // registered after the view was already left runs at once.
    onLeave: (handler) => {
      if (mine === renderCount) leaveHandlers.push(handler);
      else handler();
    },
  };
  if (!match) {
    view.appendChild(heading(t("app.not_found")));
    view.appendChild(h("p", {}, h("a", { href: "#/dossiers" }, t("app.back_to_list"))));
    focusTitle();
    return;
  }
  try {
    await match.r.render(ctx);
  } catch (error) {
    if (!ctx.stillCurrent() || error.status === 401) return;
    if (!view.querySelector("h1")) view.prepend(heading(t("app.error")));
    view.appendChild(errorBox(error));
    view.appendChild(h("p", {}, h("a", { href: "#/dossiers" }, t("app.back_to_list"))));
  }
  if (ctx.stillCurrent()) focusTitle();
}

function focusTitle() {
  const title = main.querySelector("h1");
  if (title) {
    document.title = `${title.textContent} — ${t("app.title")}`;
    title.focus({ preventScroll: false });
  }
}

api.setUnauthorizedHandler((error) => {
  showLogin(notice(error.message || t("login.session_ended"), "error"));
});

document.getElementById("skip-link").addEventListener("click", (event) => {
  event.preventDefault(); // the hash is the router's
  const title = main.querySelector("h1");
  (title || main).focus();
});

window.addEventListener("hashchange", () => route());
setLang(lang());
document.title = t("app.title");
route();
