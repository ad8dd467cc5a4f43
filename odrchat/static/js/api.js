// The HTTP API: JSON in, JSON out, the CSRF token on every change, errors as ApiError.

import { t, useTimeZone } from "./i18n.js";

export class ApiError extends Error {
  constructor(status, body) {
    const e = (body && body.error) || {};
    super(e.message || t("api.status", { status: String(status) }));
    this.status = status;
    this.code = e.code || "error";
    this.fields = e.fields || {};
    this.retryable = Boolean(e.retryable);
  }
}

const state = { user: null, csrf: null, language: null, languages: [], listeners: new Set() };

/** The logged-in user (or null) as of the last session call. */
export function currentUser() {
  return state.user;
}

/** Call `fn(user)` whenever the logged-in user changes. */
export function onUserChange(fn) {
  state.listeners.add(fn);
  return () => state.listeners.delete(fn);
}

function setUser(user) {
  const before = state.user?.id ?? null;
  state.user = user;
  useTimeZone(user?.time_zone);  // times read in the account's zone; the device's when logged out
  if ((user?.id ?? null) !== before || user) for (const fn of state.listeners) fn(user);
}

/** Ask the server who is logged in; refreshes the CSRF token. */
export async function loadSession() {
  const body = await request("GET", "/api/session");
  state.csrf = body.csrf_token;
  state.language = body.language ?? null;
  state.languages = body.languages ?? state.languages;
  setUser(body.user);
  return body.user;
}

/** Remember a session answer (login returns the same shape). */
export function applySession(body) {
  state.csrf = body.csrf_token;
  setUser(body.user);
}

/** The language the server chose for this session (user > cookie > Accept-Language > en). */
export function sessionLanguage() {
  return state.user?.language ?? state.language;
}

/** The languages the server speaks, as [{code, name}] (each name in its own language). */
export function sessionLanguages() {
  return state.languages;
}

/** Whether this server keeps a language per user (it names one in /api/session). */
export function serverKeepsLanguage() {
  return state.language !== null;
}

export function updateUser(user) {
  setUser(user);
}

async function request(method, path, body, { retried = false } = {}) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") {
    if (!state.csrf) await loadSession();
    headers["X-CSRF-Token"] = state.csrf;
  }
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
    });
  } catch {
    throw new ApiError(0, { error: { code: "network", retryable: true,
      message: t("api.network") } });
  }
  let data = null;
  const text = await res.text();
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (res.ok) return data;
  const err = new ApiError(res.status, data);
  // The token follows the session cookie; after a login elsewhere it goes stale. Fetch a
  // fresh one and try once more.
  if (res.status === 403 && err.code === "csrf" && !retried) {
    await loadSession();
    return request(method, path, body, { retried: true });
  }
  if (res.status === 401 && path !== "/api/session") setUser(null);
  throw err;
}

/**
 * Send a file as the raw request body (POST `path`), with extra headers; answers like `api`.
 * A dropped connection is an ApiError with code "network": send again with the same headers.
 */
export async function upload(path, file, headers = {}, { retried = false } = {}) {
  if (!state.csrf) await loadSession();
  let res;
  try {
    res = await fetch(path, {
      method: "POST",
      headers: { Accept: "application/json", "X-CSRF-Token": state.csrf, ...headers },
      body: file,
      credentials: "same-origin",
    });
  } catch {
    throw new ApiError(0, { error: { code: "network", retryable: true,
      message: t("api.network") } });
  }
  const data = await res.json().catch(() => null);
  if (res.ok) return data;
  const err = new ApiError(res.status, data);
  if (res.status === 403 && err.code === "csrf" && !retried) {
    await loadSession();
    return upload(path, file, headers, { retried: true });
  }
  if (res.status === 401) setUser(null);
  throw err;
}

export const api = {
  get: (path) => request("GET", path),
  post: (path, body = {}) => request("POST", path, body),
  patch: (path, body = {}) => request("PATCH", path, body),
  put: (path, body = {}) => request("PUT", path, body),
  del: (path) => request("DELETE", path),
};
