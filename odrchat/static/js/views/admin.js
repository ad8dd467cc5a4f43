// CCR administration: the queue of cases waiting for a mediator (with the suggested one), the
// filing queue of signed agreements, messages mediators flagged, all cases (each with the
// read-only room reader), the audit log, and whether notifications can go out.

import { api } from "../api.js";
import { formatList, lazyPairs, t } from "../i18n.js";
import { formatTime, h, mount, tableWrap } from "../dom.js";
import { tabList } from "./case.js";
import { figures } from "./figures.js";
import { filing, flags } from "./filing.js";
import { kindLabel, listOf, NOTIFY, outboxStatusLabel, sideLabel, statusLabel, TABLES } from "./labels.js";
import { safetyChip } from "./safety.js";

export async function page(main, [tab = "queue"], ctx) {
  ctx.setTitle(t("admin.title"));
  const panel = h("div", { id: "panel-main", attrs: { role: "tabpanel" } });
  mount(main, h("h1", { text: t("admin.title") }),
    tabList(lazyPairs([["queue", "admin.tab.queue"], ["filing", "admin.tab.filing"], ["flags", "admin.tab.flags"],
      ["cases", "admin.tab.cases"], ["audit", "admin.tab.audit"], ["notify", "admin.tab.notify"], ["figures", "admin.tab.figures"]]), tab,
    (key) => ctx.navigate(`/admin/${key}`), { label: t("admin.title") }), panel);
  if (tab === "audit") return audit(panel);
  if (tab === "filing") return filing(panel, ctx);
  if (tab === "flags") return flags(panel);
  if (tab === "cases") return allCases(panel);
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
    const btn = h("button", { type: "button", text: t("admin.queue.assign"), on: { click: async () => {
      if (!pick.value) {
        out.textContent = t("admin.queue.pleaseChoose");
        return;
      }
      const body = { mediator_id: Number(pick.value) };
      if (co.value) body.co_mediator_id = Number(co.value);
      btn.disabled = true;
      try {
        await api.post(`/api/admin/cases/${caseId}/assign`, body);
        ctx.navigate("/admin/queue");
      } catch (err) {
        out.textContent = err.message;
        btn.disabled = false;
      }
    } } });
    return h("li", { class: "card", dataset: { caseId } },
      h("a", { class: "title", href: `#/cases/${caseId}`,
        text: `${kindLabel(c.kind)} ${c.court_case_number || ""}`.trim() }), " ", safetyChip(c),
      c.parties ? h("p", { text: formatList(c.parties.map((p) => `${p.display_name} (${sideLabel(c.kind, p.side)})`)) }) : null,
      suggested ? h("p", { text: t("admin.queue.suggested", { name: nameOf(suggested) || c.suggested_mediator?.display_name || suggested }) })
        : h("p", { text: t("admin.queue.noneFree") }),
      h("div", { class: "field" }, h("label", { htmlFor: pick.id, text: t("labels.role.mediator") }), pick),
      h("div", { class: "field" }, h("label", { htmlFor: co.id, text: t("admin.queue.co") }), co),
      h("div", { class: "actions" }, btn), out);
  })));
}

async function allCases(panel) {
  const cases = listOf(await api.get("/api/admin/cases"), "cases");
  mount(panel, tableWrap(TABLES.cases, h("table", {},
    h("thead", {}, h("tr", {}, [t("admin.col.case"), t("admin.col.kind"), t("admin.col.number"),
      t("admin.col.status"), t("admin.col.conversations")].map((text) => h("th", { text })))),
    h("tbody", {}, cases.map((c) => h("tr", { dataset: { caseId: c.id } },
      h("td", {}, h("a", { href: `#/cases/${c.id}`, text: `#${c.id}` })),
      h("td", { text: kindLabel(c.kind) }), h("td", { text: c.court_case_number || "" }),
      h("td", {}, statusLabel(c.status), " ", safetyChip(c)),
      h("td", {}, h("a", { href: `#/admin/read/${c.id}`, text: t("admin.cases.read") }))))))));
}

async function audit(panel) {
  const entries = listOf(await api.get("/api/admin/audit"), "entries", "audit");
  mount(panel, tableWrap(TABLES.audit, h("table", {},
    h("caption", { class: "visually-hidden", text: t("admin.audit.caption") }),
    h("thead", {}, h("tr", {}, [t("admin.col.when"), t("admin.col.who"), t("admin.col.what"),
      t("admin.col.case"), t("admin.col.detail")].map((text) => h("th", { text })))),
    h("tbody", {}, entries.map((e) => h("tr", {},
      h("td", { text: formatTime(e.at) }), h("td", { text: String(e.actor_user_id ?? t("admin.system")) }),
      h("td", { text: e.action }), h("td", { text: e.case_id ? String(e.case_id) : "" }),
      h("td", { text: e.detail && Object.keys(e.detail).length ? JSON.stringify(e.detail) : "" })))))));
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
