// The browser's message catalogs: one JSON file per language in /static/i18n/<code>.json. The
// languages are the server's (GET /api/session lists one per catalog it has, with its own name),
// so adding a language is adding its catalog files, the server's .po and this .json, and
// nothing else; tests/static/test_catalogs.py checks both sides name the same languages.
//
// Keys are namespaced ("chat.send") and written as literals at the call site, t("chat.send"),
// so a test can find every key the code uses. A value is a string with {placeholders}, or an
// object keyed by Intl.PluralRules categories ("one", "other", ...) chosen by params.count.
//
// The language in use: the server's answer (user > cookie > Accept-Language > en), else the
// `lang` cookie, else the browser's languages, else English. A choice is kept in the cookie
// (read by the server before login) and, for a logged-in user, in their account.

const BASE = "/static/i18n";
const FALLBACK = "en";
const COOKIE = "lang";

const state = {
  lang: FALLBACK,
  catalog: {},
  languages: { [FALLBACK]: "English" },
  listeners: new Set(),
  zone: undefined, // the logged-in user's IANA time zone; undefined: the device's
};
const loaded = new Map(); // code -> Promise<catalog>

async function fetchJson(path) {
  const res = await fetch(path, { credentials: "same-origin", headers: { Accept: "application/json" } });
  if (!res.ok) throw new Error(`${path}: ${res.status}`);
  return res.json();
}

function catalogFor(code) {
  if (!loaded.has(code)) {
    const p = fetchJson(`${BASE}/${code}.json`);
    p.catch(() => loaded.delete(code));
    loaded.set(code, p);
  }
  return loaded.get(code);
}

/** The languages there are catalogs for, as {code: own name}. */
export function languages() {
  return { ...state.languages };
}

/** The language in use ("en", "es"). */
export function currentLanguage() {
  return state.lang;
}

/** The closest language we have for `code` ("es-MX" -> "es"), or null. */
export function supported(code) {
  if (!code) return null;
  const lower = String(code).toLowerCase();
  if (state.languages[lower]) return lower;
  const base = lower.split(/[-_]/)[0];
  return state.languages[base] ? base : null;
}

/** The `lang` cookie's value, if any. */
export function cookieLanguage() {
  const m = document.cookie.match(/(?:^|;\s*)lang=([^;]+)/);
  return m ? decodeURIComponent(m[1]) : null;
}

function browserLanguage() {
  for (const code of navigator.languages || [navigator.language]) {
    const found = supported(code);
    if (found) return found;
  }
  return null;
}

function rememberCookie(code) {
  document.cookie = `${COOKIE}=${encodeURIComponent(code)}; path=/; max-age=31536000; SameSite=Lax`;
}

/**
 * Take the language list (the session's [{code, name}]) and load the catalog for the first of
 * `preferred` we have (then the cookie, the browser's languages, English). Called once at
 * start, before anything is drawn.
 */
export async function startLanguage(list, ...preferred) {
  if (Array.isArray(list) && list.length) {
    state.languages = Object.fromEntries(list.map(({ code, name }) => [code, name]));
  }
  const choice = [...preferred, cookieLanguage()].map(supported).find(Boolean)
    || browserLanguage() || FALLBACK;
  await useLanguage(choice);
}

/** Switch to `code` (a language we have): load its catalog, set <html lang>, tell listeners. */
export async function useLanguage(code) {
  const lang = supported(code) || FALLBACK;
  let catalog;
  try {
    catalog = await catalogFor(lang);
  } catch (err) {
    console.error(err);
    if (lang === FALLBACK) throw err;
    return useLanguage(FALLBACK);
  }
  const changed = lang !== state.lang || catalog !== state.catalog;
  state.lang = lang;
  state.catalog = catalog;
  document.documentElement.lang = lang;
  if (changed) for (const fn of state.listeners) fn(lang);
  return lang;
}

/** A person chose `code`: use it and remember it in the cookie. */
export async function chooseLanguage(code) {
  const lang = await useLanguage(code);
  rememberCookie(lang);
  return lang;
}

/** Call `fn(code)` after every change of language; returns the unsubscribe function. */
export function onLanguageChange(fn) {
  state.listeners.add(fn);
  return () => state.listeners.delete(fn);
}

function fill(text, params) {
  return text.replace(/\{(\w+)\}/g, (whole, name) => {
    if (!(name in params)) return whole;
    const v = params[name];
    return typeof v === "number" ? formatNumber(v) : String(v ?? "");
  });
}

/**
 * The text for `key` in the current language, with {placeholders} filled from `params`; a plural
 * entry is chosen by `params.count`. A key missing from the catalog shows as the key itself
 * (the catalog tests keep that from happening).
 */
export function t(key, params = {}) {
  let value = state.catalog[key];
  if (value === undefined) {
    console.warn(`i18n: no "${key}" in ${state.lang}`);
    return key;
  }
  if (typeof value === "object") {
    const n = Number(params.count ?? 0);
    const rule = new Intl.PluralRules(state.lang).select(n);
    value = value[rule] ?? value.other;
  }
  return fill(value, params);
}

/** Whether the current catalog has `key` (for codes the server may add before the page knows). */
export function has(key) {
  return key in state.catalog;
}

/**
 * The locale for Intl formatting: the language as written in the United States ("es-US"), so
 * money and numbers read "$1,250.50" as on the court's forms, in every language.
 */
export function intlLocale() {
  return state.lang.includes("-") ? state.lang : `${state.lang}-US`;
}

/** A number in the current language's way ("1,234.5" / "1234,5"). */
export function formatNumber(n, options = {}) {
  return new Intl.NumberFormat(intlLocale(), options).format(n);
}

/** Integer cents as money ("$1,234.50"). */
export function formatMoney(cents, currency = "USD") {
  return new Intl.NumberFormat(intlLocale(), { style: "currency", currency }).format(cents / 100);
}

/** A Date formatted with Intl.DateTimeFormat in the current language (a calendar date built
 * on this device, e.g. the first of a month: no time zone is applied; moments use formatMoment). */
export function formatDateWith(date, options) {
  return new Intl.DateTimeFormat(intlLocale(), options).format(date);
}

// -- time zones ------------------------------------------------------------------------------
// Moments (chat times, deadlines, the audit log...) read in the time zone the user chose on the
// Account page, or the centre's when they chose none (the session's user.time_zone); on pages
// with nobody logged in, in the device's. formatMoment is the one place that applies it.

function knownZone(zone) {
  if (!zone) return false;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Read moments in `zone` (an IANA name) from now on; null or unknown: the device's zone. */
export function useTimeZone(zone) {
  state.zone = knownZone(zone) ? zone : undefined;
}

/** The IANA time zone moments are shown in. */
export function currentTimeZone() {
  return state.zone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/** That zone as people read it ("America/New York"). */
export function timeZoneLabel() {
  return currentTimeZone().replaceAll("_", " ");
}

/** A moment (a Date or an ISO string) with Intl.DateTimeFormat `options`, in the current
 * language and the reader's time zone. */
export function formatMoment(moment, options = {}) {
  const date = moment instanceof Date ? moment : new Date(moment);
  return new Intl.DateTimeFormat(intlLocale(), { ...options, timeZone: state.zone }).format(date);
}

/** The wall-clock fields of a moment in the reader's zone, as numbers {year, month, ...}. */
function wallClock(date) {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone: state.zone, hourCycle: "h23", year: "numeric", month: "numeric", day: "numeric",
    hour: "numeric", minute: "numeric", second: "numeric",
  }).formatToParts(date);
  return Object.fromEntries(parts.filter((p) => p.type !== "literal").map((p) => [p.type, Number(p.value)]));
}

/** Whether two moments fall on the same day in the reader's zone. */
export function sameDay(a, b) {
  const x = wallClock(a);
  const y = wallClock(b);
  return x.year === y.year && x.month === y.month && x.day === y.day;
}

/** The moment a datetime-local input's value ("2027-01-31T17:00") names in the reader's zone. */
export function momentFromInput(value) {
  const [day, clock = "00:00"] = value.split("T");
  const [y, mo, d] = day.split("-").map(Number);
  const [hh, mm] = clock.split(":").map(Number);
  const asUtc = Date.UTC(y, mo - 1, d, hh, mm);
  const offset = (at) => {
    const w = wallClock(new Date(at));
    return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) - at;
  };
  let at = asUtc - offset(asUtc);
  at = asUtc - offset(at); // once more, in case the guess crossed a change of offset
  return new Date(at);
}

/** A list joined in the current language ("A, B and C" / "A, B y C"). */
export function formatList(items, type = "conjunction") {
  return new Intl.ListFormat(intlLocale(), { style: "long", type }).format(items);
}

/**
 * An object whose string entries are catalog keys read at use time: lazy({ heading: "x.y" })
 * gives `.heading` in the language in use. Functions, and the entries of `plain`, are kept as
 * they are.
 */
export function lazy(entries, plain = {}) {
  const out = { ...plain };
  for (const [name, value] of Object.entries(entries)) {
    if (typeof value === "string") Object.defineProperty(out, name, { get: () => t(value), enumerable: true });
    else out[name] = value;
  }
  return Object.freeze(out);
}

/** Pairs [code, key] whose second item reads the key at use time: [["a", "x.y"]] -> [["a", "…"]]. */
export function lazyPairs(pairs) {
  return Object.freeze(pairs.map(([code, key]) => {
    const pair = [code, key];
    Object.defineProperty(pair, 1, { get: () => t(key), enumerable: true });
    return Object.freeze(pair);
  }));
}
