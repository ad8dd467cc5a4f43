// CCR administration: the queue of cases waiting for a mediator (with the suggested one), the
// filing queue of signed agreements, messages mediators flagged, all cases (each with the
// read-only room reader), the audit log, and whether notifications can go out.

import { api } from "../api.js";
import { formatList, lazyPairs, t } from "../i18n.js";
import { formatDateTime, h, mount, tableWrap } from "../dom.js";
import { tabList } from "./case.js";
import { figures } from "./figures.js";
import { filing, flags } from "./filing.js";
import { interpreterChip } from "./interpreter.js";
import { accounts, mediators as mediatorsTab } from "./staff.js";
import { kindLabel, listOf, NOTIFY, outboxStatusLabel, sideLabel, statusLabel, TABLES } from "./labels.js";
import { safetyChip } from "./safety.js";

export async function page(main, [tab = "queue"], ctx) {
  ctx.setTitle(t("admin.title"));
  const panel = h("div", { id: "panel-main", attrs: { role: "tabpanel" } });
  const tabs = tabList(lazyPairs([["queue", "admin.tab.queue"], ["cases", "admin.tab.cases"],
    ["staff", "admin.tab.staff"], ["mediators", "admin.tab.mediators"], ["filing", "admin.tab.filing"],
    ["flags", "admin.tab.flags"], ["audit", "admin.tab.audit"], ["notify", "admin.tab.notify"],
    ["figures", "admin.tab.figures"]]), tab, (key) => ctx.navigate(`/admin/${key}`), { label: t("admin.title") });
  tabs.classList.add("wrap-tabs"); // nine tabs: on a phone they wrap onto rows, never overlap
  mount(main, h("h1", { text: t("admin.title") }), tabs, panel);
  if (tab === "staff") return accounts(panel, ctx);
  if (tab === "mediators") return mediatorsTab(panel);
  if (tab === "audit") return audit(panel);
  if (tab === "filing") return filing(panel, ctx);
  if (tab === "flags") return flags(panel);
  if (tab === "cases") return allCases(panel, ctx);
  if (tab === "notify") return notify(panel);
  if (tab === "figures") return figures(panel);
  return queue(panel, ctx);
}

async function queue(panel, ctx) {
  const [q, m] = await Promise.all([api.get("/api/admin/queue"), api.get("/api/admin/mediators")]);
  const cases = listOf(q, "cases", "queue");
  const mediators = listOf(m, "mediators");
  if (!cases.length) {
    mount(panel, h("p", { class: "notice", text: t("admin.queue.none") }));
    return;
  }
  const nameOf = (id) => mediators.find((x) => (x.id ?? x.user_id) === id)?.display_name;
  mount(panel, h("ul", { class: "cards" }, cases.map((c) => {
    const caseId = c.id ?? c.case_id;
    const suggested = c.suggested_mediator_id ?? c.suggested_mediator?.id ?? c.suggested?.id ?? null;
    const options = [["", t("admin.queue.choose")], ...mediators.map((x) => [String(x.id ?? x.user_id),
      t(x.available === false ? "admin.queue.mediatorBusy" : "admin.queue.mediatorOption",
        { name: x.display_name, count: x.active_cases ?? 0 })])];
    const pick = h("select", { id: `assign-${caseId}` },
      options.map(([v, l]) => h("option", { value: v, text: l })));
    const co = h("select", { id: `co-${caseId}` },
      [["", t("admin.queue.noCo")], ...options.slice(1)].map(([v, l]) => h("option", { value: v, text: l })));
    if (suggested) pick.value = String(suggested);
    const out = h("p", { attrs: { role: "status" } });
    // A recorded conflict: the server refuses, says whose, and an override needs a reason.
    const reason = h("textarea", { id: `override-${caseId}`, rows: 2, maxLength: 500 });
    const override = h("div", { class: "notice warn", hidden: true },
      h("label", { htmlFor: reason.id, text: t("admin.queue.overrideReason") }), reason);
    const conflicted = (c.conflicts || []);
    const btn = h("button", { type: "button", text: t("admin.queue.assign"), on: { click: async () => {
      if (!pick.value) {
        out.textContent = t("admin.queue.pleaseChoose");
        return;
      }
      const body = { mediator_id: Number(pick.value) };
      if (co.value) body.co_mediator_id = Number(co.value);
      if (!override.hidden) {
        if (!reason.value.trim()) {
          out.textContent = t("admin.queue.overrideNeeded");
          reason.focus();
          return;
        }
        body.override_reason = reason.value.trim();
      }
      btn.disabled = true;
      try {
        await api.post(`/api/admin/cases/${caseId}/assign`, body);
        ctx.navigate("/admin/queue");
      } catch (err) {
        out.textContent = err.message;
        btn.disabled = false;
        if (err.code === "mediator_conflict") {
          override.hidden = false;
          btn.textContent = t("admin.queue.assignAnyway");
        }
      }
    } } });
    // Another choice after a conflict warning is a new assignment: the override (and its
    // reason) applies only to the mediator it was asked for.
    const rechoose = () => {
      if (override.hidden) return;
      override.hidden = true;
      reason.value = "";
      btn.textContent = t("admin.queue.assign");
      out.textContent = "";
    };
    pick.addEventListener("change", rechoose);
    co.addEventListener("change", rechoose);
    return h("li", { class: "card", dataset: { caseId } },
      h("a", { class: "title", href: `#/cases/${caseId}`,
        text: `${kindLabel(c.kind)} ${c.court_case_number || ""}`.trim() }), " ", safetyChip(c),
      c.parties ? h("p", { text: formatList(c.parties.map((p) => `${p.display_name} (${sideLabel(c.kind, p.side)})`)) }) : null,
      (c.parties || []).some((p) => p.interpreter) ? h("p", { class: "interpreters" },
        c.parties.filter((p) => p.interpreter).map((p) => [interpreterChip(p, c.kind), " "])) : null,
      suggested ? h("p", { text: t("admin.queue.suggested", { name: nameOf(suggested) || c.suggested_mediator?.display_name || suggested }) })
        : h("p", { text: t("admin.queue.noneFree") }),
      conflicted.length ? h("ul", { class: "notice warn conflicts" }, conflicted.map((x) =>
        h("li", { text: t("admin.queue.conflict", { mediator: nameOf(x.mediator_id) || `#${x.mediator_id}`, person: x.person }) }))) : null,
      (c.duplicates || []).length ? h("p", { class: "notice warn duplicate" }, t("admin.queue.duplicate"), " ",
        c.duplicates.map((d) => [h("a", { href: `#/cases/${d}`, text: `#${d}` }), " "])) : null,
      h("div", { class: "field" }, h("label", { htmlFor: pick.id, text: t("labels.role.mediator") }), pick),
      h("div", { class: "field" }, h("label", { htmlFor: co.id, text: t("admin.queue.co") }), co),
      override, h("div", { class: "actions" }, btn), out);
  })));
}

const STATUSES = ["invited", "awaiting_consent", "awaiting_mediator", "in_mediation", "settled",
  "impasse", "opted_out", "declined", "expired"];
const FEES = { waived: "admin.fee.waived", paid: "admin.fee.paid", due: "admin.fee.due" };

function filterField(id, label, el) {
  el.id = id;
  return h("div", { class: "field" }, h("label", { htmlFor: id, text: label }), el);
}

async function allCases(panel, ctx) {
  const m = await api.get("/api/admin/mediators");
  const kind = h("select", {}, [["", t("admin.filter.any")],
    ...["small_claims", "unlawful_detainer", "civil_harassment", "community"].map((k) => [k, kindLabel(k)])]
    .map(([v, l]) => h("option", { value: v, text: l })));
  const status = h("select", {}, [["", t("admin.filter.any")], ...STATUSES.map((k) => [k, statusLabel(k)])]
    .map(([v, l]) => h("option", { value: v, text: l })));
  const mediator = h("select", {}, [["", t("admin.filter.any")],
    ...listOf(m, "mediators").map((x) => [String(x.id), x.display_name])].map(([v, l]) => h("option", { value: v, text: l })));
  const number = h("input", { type: "search", autocomplete: "off" });
  const party = h("input", { type: "search", autocomplete: "off" });
  const since = h("input", { type: "date" });
  const until = h("input", { type: "date" });
  const list = h("div", { id: "case-list" });
  let latest = 0; // a slower, older search must not overwrite a newer one
  const load = async () => {
    const mine = ++latest;
    list.setAttribute("aria-busy", "true");
    const params = new URLSearchParams();
    for (const [key, el] of [["kind", kind], ["status", status], ["mediator_id", mediator],
      ["court_case_number", number], ["party", party], ["since", since], ["until", until]]) {
      if (el.value.trim()) params.set(key, el.value.trim());
    }
    const cases = listOf(await api.get(`/api/admin/cases?${params}`), "cases");
    if (mine !== latest) return;
    list.setAttribute("aria-busy", "false");
    mount(list, cases.length ? caseTable(cases, load) : h("p", { class: "notice", text: t("admin.filter.nothing") }));
  };
  const form = h("form", { class: "filters", attrs: { role: "search", "aria-label": t("admin.filter.label") },
    on: { submit: (ev) => { ev.preventDefault(); load(); } } },
  filterField("f-kind", t("admin.col.kind"), kind), filterField("f-status", t("admin.col.status"), status),
  filterField("f-mediator", t("labels.role.mediator"), mediator),
  filterField("f-number", t("admin.col.number"), number), filterField("f-party", t("admin.filter.party"), party),
  filterField("f-since", t("admin.filter.since"), since), filterField("f-until", t("admin.filter.until"), until),
  h("div", { class: "actions" }, h("button", { type: "submit", text: t("admin.filter.apply") })));
  mount(panel, form, list);
  await load();
}

function feeCell(c, reload) {
  if (!c.fee_review) return h("td", { text: "" });
  const pick = h("select", { attrs: { "aria-label": t("admin.fee.label", { id: String(c.id) }) } },
    [["", t("admin.fee.notReviewed")], ...Object.entries(FEES).map(([v, key]) => [v, t(key)])]
      .map(([v, l]) => h("option", { value: v, text: l })));
  pick.value = c.fee_status || "";
  const out = h("span", { attrs: { role: "status" } });
  const save = h("button", { type: "button", class: "secondary", text: t("admin.fee.save"), on: { click: async () => {
    if (!pick.value) return;
    save.disabled = true;
    try {
      await api.post(`/api/admin/cases/${c.id}/fee`, { status: pick.value });
      out.textContent = t("admin.fee.saved");
    } catch (err) {
      out.textContent = err.message;
    }
    save.disabled = false;
  } } });
  return h("td", { class: "fee" }, pick, save, out);
}

// Another open case has the same court case number: filed all the same, for staff to check.
function numberCell(c) {
  const same = c.duplicates || [];
  return h("td", {}, c.court_case_number || "", same.length
    ? h("p", { class: "notice warn same-number" }, t("admin.cases.sameNumber"), " ",
      same.map((d) => [h("a", { href: `#/cases/${d}`, text: `#${d}` }), " "]))
    : null);
}

function caseTable(cases, reload) {
  return tableWrap(TABLES.cases, h("table", {},
    h("thead", {}, h("tr", {}, [t("admin.col.case"), t("admin.col.kind"), t("admin.col.number"),
      t("admin.col.status"), t("labels.role.mediator"), t("admin.col.parties"), t("admin.col.fee"),
      t("admin.col.conversations")].map((text) => h("th", { text })))),
    h("tbody", {}, cases.map((c) => h("tr", { dataset: { caseId: c.id } },
      h("td", {}, h("a", { href: `#/cases/${c.id}`, text: `#${c.id}` })),
      h("td", { text: kindLabel(c.kind) }), numberCell(c),
      h("td", {}, statusLabel(c.status), " ", safetyChip(c)), h("td", { text: c.mediator || "" }),
      h("td", { text: formatList(c.parties || []) }), feeCell(c, reload),
      h("td", {}, h("a", { href: `#/admin/read/${c.id}`, text: t("admin.cases.read") })))))));
}

const AUDIT_ROLES = {
  admin: "staff.role.admin", mediator: "staff.role.mediator", party: "labels.role.party",
  attorney: "labels.role.attorney", co_mediator: "labels.role.coMediator", observer: "labels.role.observer",
  user: "admin.audit.user", system: "admin.system",
};

async function audit(panel) {
  const action = h("select", {}, [["", t("admin.filter.any")], ["case.", t("admin.audit.cases")],
    ["user.", t("admin.audit.accounts")], ["mediator.", t("admin.audit.mediators")],
    ["agreement.", t("admin.audit.agreements")], ["document.", t("admin.audit.documents")]]
    .map(([v, l]) => h("option", { value: v, text: l })));
  const actor = h("input", { type: "search", autocomplete: "off" });
  const caseId = h("input", { type: "number", min: 1 });
  const since = h("input", { type: "date" });
  const until = h("input", { type: "date" });
  const list = h("div", { id: "audit-list" });
  const csv = h("a", { id: "audit-csv", class: "button secondary", href: "/api/admin/audit.csv", download: "",
    text: t("admin.audit.csv") });
  let latest = 0;
  const load = async () => {
    const mine = ++latest;
    list.setAttribute("aria-busy", "true");
    const params = new URLSearchParams();
    for (const [key, el] of [["action", action], ["actor", actor], ["case_id", caseId], ["since", since], ["until", until]]) {
      if (el.value.trim()) params.set(key, el.value.trim());
    }
    csv.href = `/api/admin/audit.csv?${params}`;
    const entries = listOf(await api.get(`/api/admin/audit?${params}`), "entries", "audit");
    if (mine !== latest) return;
    list.setAttribute("aria-busy", "false");
    mount(list, tableWrap(TABLES.audit, h("table", {},
      h("caption", { class: "visually-hidden", text: t("admin.audit.caption") }),
      h("thead", {}, h("tr", {}, [t("admin.col.when"), t("admin.col.who"), t("admin.col.what"),
        t("admin.col.case"), t("admin.col.detail")].map((text) => h("th", { text })))),
      h("tbody", {}, entries.map((e) => h("tr", {},
        h("td", {}, h("time", { dateTime: e.at, text: formatDateTime(e.at) })),
        h("td", { text: e.actor_name ? t("admin.audit.who", { name: e.actor_name, role: t(AUDIT_ROLES[e.actor_role] || "admin.audit.user") })
          : t("admin.system") }),
        h("td", { text: e.action }), h("td", { text: e.case_id ? String(e.case_id) : "" }),
        h("td", { text: e.detail && Object.keys(e.detail).length ? JSON.stringify(e.detail) : "" })))))));
  };
  const form = h("form", { class: "filters", attrs: { role: "search", "aria-label": t("admin.filter.label") },
    on: { submit: (ev) => { ev.preventDefault(); load(); } } },
  filterField("a-action", t("admin.col.what"), action), filterField("a-actor", t("admin.col.who"), actor),
  filterField("a-case", t("admin.col.case"), caseId),
  filterField("a-since", t("admin.filter.since"), since), filterField("a-until", t("admin.filter.until"), until),
  h("div", { class: "actions" }, h("button", { type: "submit", text: t("admin.filter.apply") }), csv));
  mount(panel, h("p", { class: "hint", text: t("admin.audit.hint") }), form, list);
  await load();
}

async function notify(panel) {
  const status = await api.get("/api/admin/notify");
  const sms = status.sms ?? {};
  const counts = status.outbox ?? {};
  const statuses = ["pending", "sent", "unsent", "dead"];
  mount(panel,
    status.email?.on === false ? h("p", { id: "email-status", class: "notice", text: NOTIFY.emailOff }) : null,
    h("p", { id: "sms-status", class: sms.on ? "" : "notice", attrs: { role: "status" },
      text: sms.on ? NOTIFY.smsOn(sms.provider) : NOTIFY.smsOff }),
    tableWrap(TABLES.outbox, h("table", {},
      h("caption", { text: NOTIFY.outboxCaption }),
      h("thead", {}, h("tr", {}, [NOTIFY.channel, ...statuses.map(outboxStatusLabel)]
        .map((text) => h("th", { text })))),
      h("tbody", {}, Object.keys(counts).sort().map((channel) => h("tr", { dataset: { channel } },
        h("th", { text: NOTIFY.channels[channel] ?? channel }),
        ...statuses.map((st) => h("td", { text: String(counts[channel][st] ?? 0) }))))))));
}
