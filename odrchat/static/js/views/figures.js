// The administration's Figures tab: the programme's numbers for a court or a funder (cases by
// kind and month, taking part, outcomes, time from filing, mediator load, the satisfaction
// survey) as charts with their tables, and the same figures as a CSV download. The numbers come
// from GET /api/admin/metrics, already without names, case numbers or any message, and with
// counts under 5 replaced by null ("fewer than 5").

import { api } from "../api.js";
import { formatDateWith, formatNumber, t } from "../i18n.js";
import { h, mount, tableWrap } from "../dom.js";
import { barChart, dataTable } from "./charts.js";
import { kindLabel } from "./labels.js";

const OUTCOMES = {
  settled: "figures.outcome.settled",
  impasse: "figures.outcome.impasse",
  opted_out: "figures.outcome.optedOut",
  declined: "figures.outcome.declined",
  expired: "figures.outcome.expired",
};
const MEASURES = { first_message: "figures.time.firstMessage", agreement: "figures.time.agreement" };
const QUESTIONS = {
  heard: "figures.survey.heard",
  neutral: "figures.survey.neutral",
  clear: "figures.survey.clear",
  again: "figures.survey.again",
};

const count = (n) => (n === null || n === undefined ? t("figures.fewer") : formatNumber(n));
const percent = (share) => (share === null || share === undefined ? t("figures.fewer")
  : formatNumber(share, { style: "percent", maximumFractionDigits: 1 }));
// Nothing to measure (no case, no answer) reads "none", not "fewer than 5".
const given = (n, text) => (n === 0 ? t("figures.nothing") : text);
const daysText = (d) => (d === null || d === undefined ? t("figures.fewer")
  : t("figures.days", { count: d, days: formatNumber(d, { maximumFractionDigits: 1 }) }));
const average = (a) => (a === null || a === undefined ? t("figures.fewer")
  : formatNumber(a, { minimumFractionDigits: 1, maximumFractionDigits: 2 }));

function monthName(month) {
  const [y, m] = month.split("-").map(Number);
  return formatDateWith(new Date(y, m - 1, 1), { month: "short", year: "numeric" });
}

function section(heading, ...children) {
  const id = `fig-${heading.replace(/\W+/g, "-").toLowerCase()}`;
  return h("section", { class: "figure-section", attrs: { "aria-labelledby": id } },
    h("h2", { id, text: heading }), ...children);
}

/** The Figures tab inside the administration page's panel. */
export async function figures(panel) {
  const since = h("input", { type: "date", id: "fig-since", name: "since" });
  const until = h("input", { type: "date", id: "fig-until", name: "until" });
  const csv = h("a", { class: "button secondary", href: "/api/admin/metrics?format=csv",
    text: t("figures.csv"), attrs: { download: "" } });
  const out = h("div", { attrs: { "aria-live": "polite" } });
  const form = h("form", { class: "figures-period", on: { submit: (ev) => { ev.preventDefault(); load(); } } },
    h("div", { class: "field" }, h("label", { htmlFor: since.id, text: t("figures.since") }), since),
    h("div", { class: "field" }, h("label", { htmlFor: until.id, text: t("figures.until") }), until),
    h("div", { class: "actions" }, h("button", { type: "submit", text: t("figures.show") }), csv));
  mount(panel, h("p", { class: "hint", text: t("figures.intro") }), form, out);

  async function load() {
    const params = new URLSearchParams();
    if (since.value) params.set("since", since.value);
    if (until.value) params.set("until", until.value);
    const query = params.toString();
    csv.href = `/api/admin/metrics?${query ? `${query}&` : ""}format=csv`;
    mount(out, h("p", { class: "loading", text: t("figures.loading") }));
    const said = api.get(`/api/admin/survey/comments${query ? `?${query}` : ""}`);
    said.catch(() => {}); // answered (or refused) while the figures load; shown below them
    try {
      render(out, await api.get(`/api/admin/metrics${query ? `?${query}` : ""}`));
    } catch (err) {
      mount(out, h("p", { class: "form-error", attrs: { role: "alert" }, text: err.message }));
      return;
    }
    out.appendChild(await comments(said));
  }
  await load();
}

/** The survey's comments, for administrators only: each with its month, in the writer's words. */
async function comments(pending) {
  let list;
  try {
    list = (await pending).comments || [];
  } catch (err) {
    return section(t("figures.comments.heading"),
      h("p", { class: "form-error", attrs: { role: "alert" }, text: err.message }));
  }
  return section(t("figures.comments.heading"),
    h("p", { class: "hint", text: t("figures.comments.explain") }),
    list.length
      ? h("ul", { class: "survey-comments" }, list.map((c) => h("li", { dataset: { month: c.month } },
        h("strong", { class: "comment-month", text: monthName(c.month) }),
        h("p", { class: "prewrap", text: c.comment }))))
      : h("p", { class: "notice", text: t("figures.comments.none") }));
}

function render(out, f) {
  const months = f.months || [];
  const cell = (m, k) => f.by_kind_month.find((x) => x.month === m && x.kind === k)?.cases ?? 0;
  const byMonth = Object.fromEntries(f.by_month.map((x) => [x.month, x.cases]));
  const byKind = Object.fromEntries(f.by_kind.map((x) => [x.kind, x.cases]));

  const casesSection = section(t("figures.cases.heading"),
    h("p", { text: t("figures.cases.total", { total: count(f.cases) }) }),
    months.length ? barChart({
      title: t("figures.cases.chartTitle"),
      desc: t("figures.tableBelow"),
      rows: months.map((m) => ({ label: monthName(m), value: byMonth[m], text: count(byMonth[m]) })),
    }) : h("p", { class: "notice", text: t("figures.none") }),
    months.length ? tableWrap(t("figures.cases.chartTitle"), dataTable(t("figures.cases.tableCaption"),
      [t("figures.month"), ...f.kinds.map(kindLabel), t("figures.total")],
      [...months.map((m) => [monthName(m), ...f.kinds.map((k) => count(cell(m, k))), count(byMonth[m])]),
        [t("figures.total"), ...f.kinds.map((k) => count(byKind[k])), count(f.cases)]])) : null);

  const rates = [[t("figures.takingPart.joined"), f.participation], [t("figures.takingPart.consented"), f.consent]];
  const takingPart = section(t("figures.takingPart.heading"),
    barChart({
      title: t("figures.takingPart.chartTitle"), desc: t("figures.tableBelow"), max: 1,
      rows: rates.map(([label, r]) => ({ label, value: r.share, text: given(r.eligible, percent(r.share)) })),
    }),
    tableWrap(t("figures.takingPart.chartTitle"), dataTable(t("figures.takingPart.chartTitle"),
      [t("figures.measure"), t("figures.count"), t("figures.of"), t("figures.share")],
      rates.map(([label, r]) => [label, count(r.count), count(r.eligible),
        given(r.eligible, percent(r.share))]))),
    h("p", { class: "hint", text: t("figures.takingPart.explain") }));

  const outcomes = section(t("figures.outcomes.heading"),
    h("p", { text: t("figures.outcomes.closed", { closed: count(f.closed) }) }),
    barChart({
      title: t("figures.outcomes.chartTitle"), desc: t("figures.tableBelow"), max: 1,
      rows: f.outcomes.map((o) => ({ label: t(OUTCOMES[o.outcome]), value: o.share,
        text: given(f.closed, percent(o.share)) })),
    }),
    tableWrap(t("figures.outcomes.chartTitle"), dataTable(t("figures.outcomes.chartTitle"),
      [t("figures.outcome"), t("figures.cases.count"), t("figures.share")],
      f.outcomes.map((o) => [t(OUTCOMES[o.outcome]), count(o.cases), given(f.closed, percent(o.share))]))));

  const time = section(t("figures.time.heading"),
    barChart({
      title: t("figures.time.chartTitle"), desc: t("figures.tableBelow"),
      rows: f.durations.map((d) => ({ label: t(MEASURES[d.measure]), value: d.median_days,
        text: given(d.cases, daysText(d.median_days)) })),
    }),
    tableWrap(t("figures.time.chartTitle"), dataTable(t("figures.time.tableCaption"),
      [t("figures.measure"), t("figures.cases.count"), t("figures.time.median"), t("figures.time.p90")],
      f.durations.map((d) => [t(MEASURES[d.measure]), count(d.cases),
        given(d.cases, daysText(d.median_days)), given(d.cases, daysText(d.p90_days))]))),
    h("p", { class: "hint", text: t("figures.time.explain") }));

  const load = f.mediator_load;
  const number = (n) => (n === null || n === undefined ? "–" : formatNumber(n));
  const mediators = section(t("figures.load.heading"),
    tableWrap(t("figures.load.heading"), dataTable(t("figures.load.heading"),
      [t("figures.measure"), t("figures.value")], [
        [t("figures.load.mediators"), number(load.mediators)],
        [t("figures.load.openMedian"), number(load.open_median)],
        [t("figures.load.openMax"), number(load.open_max)],
        [t("figures.load.casesMedian"), number(load.cases_median)],
      ])));

  const pay = f.payments;
  const payRows = [
    [t("figures.payments.onTime"), pay.on_time],
    [t("figures.payments.late"), pay.late],
    [t("figures.payments.unpaid"), pay.unpaid],
  ];
  const payments = section(t("figures.payments.heading"), !pay.tracked
    ? h("p", { class: "notice", text: t("figures.payments.notTracked") })
    : [
      h("p", { text: t("figures.payments.summary", { agreements: count(pay.agreements),
        instalments: count(pay.fallen_due) }) }),
      barChart({
        title: t("figures.payments.chartTitle"), desc: t("figures.tableBelow"),
        rows: payRows.map(([label, n]) => ({ label, value: n, text: given(pay.fallen_due, count(n)) })),
      }),
      tableWrap(t("figures.payments.chartTitle"), dataTable(t("figures.payments.chartTitle"),
        [t("figures.measure"), t("figures.payments.instalments")],
        [...payRows.map(([label, n]) => [label, count(n)]),
          [t("figures.payments.onTimeShare"), given(pay.fallen_due, percent(pay.on_time_share))]])),
      h("p", { class: "hint", text: t("figures.payments.explain") }),
    ]);

  const survey = section(t("figures.survey.heading"),
    h("p", { text: t("figures.survey.answers", { answers: count(f.survey.answers) }) }),
    barChart({
      title: t("figures.survey.chartTitle"), desc: t("figures.tableBelow"), max: 5,
      rows: f.survey.questions.map((q) => ({ label: t(QUESTIONS[q.question]), value: q.average,
        text: given(q.answers, average(q.average)) })),
    }),
    tableWrap(t("figures.survey.chartTitle"), dataTable(t("figures.survey.chartTitle"),
      [t("figures.survey.question"), t("figures.survey.answerCount"), t("figures.survey.average")],
      f.survey.questions.map((q) => [t(QUESTIONS[q.question]), count(q.answers),
        given(q.answers, average(q.average))]))),
    h("p", { class: "hint", text: t("figures.survey.explain") }));

  mount(out, casesSection, takingPart, outcomes, time, mediators, payments, survey);
}
