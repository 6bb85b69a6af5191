// Talking to the hoso JSON API: bearer token, Accept-Language, errors as ApiError.

import { lang, t } from "./i18n.js";

const BASE = "/api/v1";
const TOKEN_KEY = "hoso.token";

/** An error answer from the API: {code, message, detail} plus the HTTP status. */
export class ApiError extends Error {
  constructor(status, code, message, detail = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.detail = detail || {};
  }
}

let onUnauthorized = () => {};

/** Called with the ApiError when a signed-in request answers 401 (expired or revoked token). */
export function setUnauthorizedHandler(handler) {
  onUnauthorized = handler;
}

export function token() {
  try {
    return window.sessionStorage.getItem(TOKEN_KEY);
  } catch (_ignored) {
    return null;
  }
}

function storeToken(value) {
  try {
    if (value) window.sessionStorage.setItem(TOKEN_KEY, value);
    else window.sessionStorage.removeItem(TOKEN_KEY);
  } catch (_ignored) {
    // no storage: the session lasts as long as the page
  }
}

export function logout() {
  storeToken(null);
}

async function errorFrom(response) {
  let body = null;
  try {
    body = await response.json();
  } catch (_ignored) {
    body = null;
  }
  if (body && typeof body.code === "string") {
    return new ApiError(response.status, body.code, body.message || body.code, body.detail);
  }
  return new ApiError(response.status, `http_${response.status}`, `${t("app.error")} ${response.status}`);
}

/**
 * One request. Returns {data, etag, response}. `query` values that are empty are left out; arrays repeat
 * the parameter. Body: `json` (an object), `form` (url-encoded) or `multipart` (a FormData, for uploads).
 * `raw` answers a Blob. Throws ApiError (network failures become code "network_error").
 */
export async function request(path, { method = "GET", query = null, json = undefined, form = null,
                                      multipart = null, headers = {}, raw = false, auth = true } = {}) {
  const url = new URL(BASE + path, window.location.origin);
  for (const [name, value] of Object.entries(query || {})) {
    const values = Array.isArray(value) ? value : [value];
    for (const item of values) {
      if (item !== undefined && item !== null && item !== "") url.searchParams.append(name, String(item));
    }
  }
  const sent = { Accept: raw ? "*/*" : "application/json", "Accept-Language": lang(), ...headers };
  const bearer = token();
  if (auth && bearer) sent.Authorization = `Bearer ${bearer}`;
  let body;
  if (json !== undefined) {
    sent["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  } else if (form) {
    body = new URLSearchParams(form);
  } else if (multipart) {
    body = multipart; // a FormData: the browser sets the multipart Content-Type with its boundary
  }
  let response;
  try {
    response = await fetch(url, { method, headers: sent, body, credentials: "same-origin" });
  } catch (_ignored) {
    throw new ApiError(0, "network_error", t("app.network_error"));
  }
  if (!response.ok) {
    const error = await errorFrom(response);
    if (response.status === 401 && auth) {
      storeToken(null);
      onUnauthorized(error);
    }
    throw error;
  }
  const etag = response.headers.get("ETag");
  if (raw) return { data: await response.blob(), etag, response };
  const data = response.status === 204 ? null : await response.json();
  return { data, etag, response };
}

export async function get(path, query) {
  return (await request(path, { query })).data;
}

export async function login(username, password) {
  const { data } = await request("/auth/token", {
    method: "POST", form: { username, password, grant_type: "password" }, auth: false,
  });
  storeToken(data.access_token);
  return data;
}

// Reference lists that change rarely: fetched once per session.
const cache = new Map();

export function cached(key, load) {
  if (!cache.has(key)) {
    const pending = load().catch((error) => {
      cache.delete(key);
      throw error;
    });
    cache.set(key, pending);
  }
  return cache.get(key);
}

export function clearCache() {
  cache.clear();
}

/** code → agency, over every agency (also ended ones, which old history rows mention). */
export const agencyIndex = () => cached("agencies", async () => {
  const { data } = await get("/agencies");
  return new Map(data.map((agency) => [agency.code, agency]));
});

/** code → procedure, over the whole catalogue. */
export const procedureIndex = () => cached("procedures", async () => {
  const { data } = await get("/procedures");
  return new Map(data.map((procedure) => [procedure.code, procedure]));
});

export const activeAgencies = () => cached("active-agencies", async () => (await get("/agencies", { status: "active" })).data);

/** Whether the officer has one of `roles`. The UI shows or hides by roles; the API decides again. */
export function hasRole(me, ...roles) {
  return Boolean(me) && me.roles.some((role) => roles.includes(role));
}

/** Whether the officer may receive dossiers (the API checks again). */
export function canReceive(me) {
  return hasRole(me, "reception", "leader", "admin");
}

/** The officer's own agency and those it succeeded. */
export function ownAgencies(me) {
  return me ? [me.agency_code, ...(me.reachable_agencies || [])] : [];
}

/** Whether an error means "this server has no such endpoint" (a feature not installed here). */
export function isMissingEndpoint(error) {
  return Boolean(error) && error.status === 404 && error.code === "not_found";
}
