// Bar charts drawn as SVG by hand (no chart library, no build step). Every chart is an image
// with a name and a description (role="img", <title>, <desc>), and the page puts a real table
// of the same numbers next to it: the table is what a screen reader reads, the chart is what
// an eye scans. A suppressed value (fewer than 5 cases) draws no bar, only its words.

import { h } from "../dom.js";

const NS = "http://www.w3.org/2000/svg";
const WIDTH = 360; // viewBox units; the chart scales to its column (a phone shows ~1:1)
const ROW = 46; // a label line above its bar, so long labels never run off a phone's edge
const LABEL = 16;
const BAR = 18;

let uid = 0;

function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value !== null && value !== undefined) el.setAttribute(name, String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    el.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return el;
}

/**
 * A horizontal bar chart. `rows`: [{ label, value (number or null when suppressed), text (the
 * value in words, shown at the bar's end) }]; `max`: the value of a full bar.
 */
export function barChart({ title, desc, rows, max }) {
  uid += 1;
  const ids = { title: `chart-${uid}-title`, desc: `chart-${uid}-desc` };
  const height = rows.length * ROW + 4;
  const room = WIDTH - 100; // what a full bar may take, leaving space for its words
  const top = Math.max(max || 0, ...rows.map((r) => r.value ?? 0)) || 1;
  const el = svg("svg", {
    viewBox: `0 0 ${WIDTH} ${height}`, role: "img", class: "chart",
    "aria-labelledby": `${ids.title} ${ids.desc}`, focusable: "false",
  }, svg("title", { id: ids.title }, title), svg("desc", { id: ids.desc }, desc));
  rows.forEach((r, i) => {
    const y = 2 + i * ROW;
    const suppressed = r.value === null || r.value === undefined;
    const width = suppressed ? 0 : Math.max(2, (r.value / top) * room);
    el.appendChild(svg("text", { x: 0, y: y + LABEL - 3, class: "chart-label" }, r.label));
    const barY = y + LABEL + 2;
    if (width > 0) el.appendChild(svg("rect", { x: 0, y: barY, width, height: BAR, rx: 2, class: "chart-bar" }));
    el.appendChild(svg("text", { x: width + 6, y: barY + BAR - 4,
      class: suppressed ? "chart-value suppressed" : "chart-value" }, r.text));
  });
  return el;
}

/** A table of `rows` (arrays of cells) under `headers`, with a caption; the first cell of each
 * row is its header. */
export function dataTable(caption, headers, rows) {
  return h("table", { class: "figures" },
    h("caption", { text: caption }),
    h("thead", {}, h("tr", {}, headers.map((text) => h("th", { text, attrs: { scope: "col" } })))),
    h("tbody", {}, rows.map(([first, ...rest]) => h("tr", {},
      h("th", { text: first, attrs: { scope: "row" } }), rest.map((text) => h("td", { text }))))));
}
