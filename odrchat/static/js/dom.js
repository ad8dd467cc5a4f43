// Small DOM helpers. User text only ever reaches the page through text nodes (textContent);
// nothing here parses HTML, so a message like "<img onerror=...>" is shown as typed.

import { formatMoment, intlLocale, sameDay, t } from "./i18n.js";

const SAFE_SCHEMES = new Set(["http:", "https:"]);
const URL_RE = /\bhttps?:\/\/[^\s<>"']+/gi;

/**
 * Build an element. `props`: class, text, attrs {name: value}, on {event: fn}, and any
 * plain property (id, type, value, disabled, hidden, htmlFor...). Children may be nodes,
 * strings (become text nodes), arrays, or null/false (skipped).
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null) continue;
    if (key === "class") el.className = value;
    else if (key === "text") el.textContent = value;
    else if (key === "attrs") {
      for (const [name, v] of Object.entries(value)) {
        if (v === undefined || v === null || v === false) continue;
        if (/^on/i.test(name) || name === "style") throw new Error(`refused attribute ${name}`);
        el.setAttribute(name, v === true ? "" : String(v));
      }
    } else if (key === "on") {
      for (const [event, fn] of Object.entries(value)) el.addEventListener(event, fn);
    } else if (key === "dataset") {
      Object.assign(el.dataset, value);
    } else {
      el[key] = value;
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else if (child instanceof Node) el.appendChild(child);
    else el.appendChild(document.createTextNode(String(child)));
  }
}

/**
 * A table in a box that scrolls sideways on a narrow screen. The box is a named region that
 * takes keyboard focus, so someone without a mouse can scroll it too (axe:
 * scrollable-region-focusable).
 */
export function tableWrap(label, table) {
  return h("div", { class: "table-wrap", attrs: { role: "region", tabindex: "0", "aria-label": label } },
    table);
}

/** Replace every child of `el` with `children`. */
export function mount(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** A safe link: only http(s) URLs, opened without giving the new page a handle on ours. */
export function safeLink(href, label) {
  let url;
  try {
    url = new URL(href);
  } catch {
    return document.createTextNode(label ?? href);
  }
  if (!SAFE_SCHEMES.has(url.protocol)) return document.createTextNode(label ?? href);
  return h("a", {
    href: url.href,
    text: label ?? href,
    attrs: { rel: "noopener noreferrer", target: "_blank" },
  });
}

/** Text with its http(s) URLs made clickable, built as nodes (never as HTML). */
export function linkify(text) {
  const frag = document.createDocumentFragment();
  let last = 0;
  for (const match of text.matchAll(URL_RE)) {
    // Trailing punctuation usually ends the sentence, not the URL.
    let url = match[0];
    const trail = url.match(/[.,;:!?)\]]+$/);
    if (trail) url = url.slice(0, -trail[0].length);
    frag.appendChild(document.createTextNode(text.slice(last, match.index)));
    frag.appendChild(safeLink(url));
    last = match.index + url.length;
  }
  frag.appendChild(document.createTextNode(text.slice(last)));
  return frag;
}

/** A translated sentence with one "{link}" in it, as [text, link, text] for h(). */
export function withLink(text, link) {
  const at = text.indexOf("{link}");
  if (at < 0) return [text, " ", link];
  return [text.slice(0, at), link, text.slice(at + "{link}".length)];
}

/** A labelled form field; returns {wrap, input, error}. */
export function field(name, label, { type = "text", required = false, hint = "", autocomplete,
                                     value = "", tag = "input", options = [] } = {}) {
  const id = `f-${name}-${Math.random().toString(36).slice(2, 8)}`;
  const hintId = hint ? `${id}-hint` : null;
  const errorId = `${id}-err`;
  let input;
  if (tag === "select") {
    input = h("select", { id, name, required },
      options.map(([v, l]) => h("option", { value: v, text: l })));
    if (value) input.value = value;
  } else if (tag === "textarea") {
    input = h("textarea", { id, name, required, value, rows: 4 });
  } else {
    input = h("input", { id, name, type, required, value });
  }
  if (autocomplete) input.setAttribute("autocomplete", autocomplete);
  input.setAttribute("aria-describedby", [hintId, errorId].filter(Boolean).join(" "));
  const error = h("p", { class: "field-error", id: errorId, attrs: { "aria-live": "polite" } });
  const wrap = h("div", { class: "field", dataset: { label } },
    h("label", { htmlFor: id, text: required ? label : t("form.optional", { label }) }),
    hint ? h("p", { class: "hint", id: hintId, text: hint }) : null,
    input,
    error);
  return { wrap, input, error };
}

/** Show an API error on a form: per-field messages and a summary. */
export function showErrors(form, fields, err) {
  for (const f of Object.values(fields)) {
    f.error.textContent = "";
    f.input.removeAttribute("aria-invalid");
  }
  const summary = form.querySelector(".form-error");
  if (!err) {
    if (summary) summary.textContent = "";
    return;
  }
  const perField = err.fields || {};
  let first = null;
  for (const [name, message] of Object.entries(perField)) {
    const f = fields[name];
    if (!f) continue;
    f.error.textContent = t("form.fieldError", { label: f.wrap.dataset.label, message });
    f.input.setAttribute("aria-invalid", "true");
    first = first || f.input;
  }
  if (summary) summary.textContent = err.message || t("form.error");
  (first || summary)?.focus?.();
}

/** Format an ISO time as a short time (and date when not today), in the reader's time zone. */
export function formatTime(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  return sameDay(d, new Date())
    ? formatMoment(d, { hour: "numeric", minute: "2-digit" })
    : formatMoment(d, { month: "short", day: "numeric", hour: "numeric", minute: "2-digit" });
}

/** Format an ISO time with its date and zone, always ("Dec 12, 2026, 6:33 PM PST"), in the
 * reader's time zone. */
export function formatDateTime(iso) {
  if (!iso) return "";
  return formatMoment(iso, {
    month: "short", day: "numeric", year: "numeric", hour: "numeric", minute: "2-digit",
    timeZoneName: "short",
  });
}

/** The day an ISO time falls on in the reader's time zone, in words ("Thursday, December 17,
 * 2026"); formatDate is for a calendar date (YYYY-MM-DD) that has no time. */
export function formatDayOf(iso) {
  if (!iso) return "";
  return formatMoment(iso, { weekday: "long", year: "numeric", month: "long", day: "numeric" });
}

/** Format an ISO date (YYYY-MM-DD) in words. */
export function formatDate(iso) {
  if (!iso) return "";
  const [y, m, d] = iso.split("-").map(Number);
  return new Date(y, m - 1, d).toLocaleDateString(intlLocale(), {
    weekday: "long", year: "numeric", month: "long", day: "numeric",
  });
}
