// CCR administration: the queue of cases waiting for a mediator (with the suggested one), the
// filing queue of signed agreements, messages mediators flagged, all cases (each with the
// read-only room reader), the audit log, and whether notifications can go out.

import { api } from "../api.js";
import { formatTime, h, mount, tableWrap } from "../dom.js";
import { tabList } from "./case.js";
import { filing, flags } from "./filing.js";
import { kindLabel, listOf, NOTIFY, outboxStatusLabel, statusLabel, TABLES } from "./labels.js";

export async function page(main, [tab = "queue"], ctx) {
  ctx.setTitle("Administration");
  const panel = h("div", { id: "panel-main", attrs: { role: "tabpanel" } });
  mount(main, h("h1", { text: "Administration" }),
    tabList([["queue", "Waiting for a mediator"], ["filing", "Filing"], ["flags", "Flagged messages"],
      ["cases", "All cases"], ["audit", "Audit log"], ["notify", "Notifications"]], tab,
    (key) => ctx.navigate(`/admin/${key}`), { label: "Administration" }), panel);
  if (tab === "audit") return audit(panel);
  if (tab === "filing") return filing(panel, ctx);
  if (tab === "flags") return flags(panel);
  if (tab === "cases") return allCases(panel);
  if (tab === "notify") return notify(panel);
  return queue(panel, ctx);
}

async function queue(panel, ctx) {
  const [q, m] = await Promise.all([api.get("/api/admin/queue"), api.get("/api/admin/mediators")]);
  const cases = listOf(q, "cases", "queue");
  const mediators = listOf(m, "mediators");
  if (!cases.length) {
    mount(panel, h("p", { class: "notice", text: "No case is waiting for a mediator." }));
    return;
  }
  const nameOf = (id) => mediators.find((x) => (x.id ?? x.user_id) === id)?.display_name;
  mount(panel, h("ul", { class: "cards" }, cases.map((c) => {
    const caseId = c.id ?? c.case_id;
    const suggested = c.suggested_mediator_id ?? c.suggested_mediator?.id ?? c.suggested?.id ?? null;
    const options = [["", "Choose a mediator"], ...mediators.map((x) => [String(x.id ?? x.user_id),
      `${x.display_name} (${x.active_cases ?? 0} open${x.available === false ? ", not available" : ""})`])];
    const pick = h("select", { id: `assign-${caseId}` },
      options.map(([v, l]) => h("option", { value: v, text: l })));
    const co = h("select", { id: `co-${caseId}` },
      [["", "No co-mediator"], ...options.slice(1)].map(([v, l]) => h("option", { value: v, text: l })));
    if (suggested) pick.value = String(suggested);
    const out = h("p", { attrs: { role: "status" } });
    const btn = h("button", { type: "button", text: "Assign", on: { click: async () => {
      if (!pick.value) {
        out.textContent = "Please choose a mediator.";
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
        text: `${kindLabel(c.kind)} ${c.court_case_number || ""}`.trim() }),
      c.parties ? h("p", { text: c.parties.map((p) => `${p.display_name} (${p.side})`).join(" and ") }) : null,
      suggested ? h("p", { text: `Suggested: ${nameOf(suggested) || c.suggested_mediator?.display_name || suggested}` })
        : h("p", { text: "No mediator is free without a conflict: choose one." }),
      h("div", { class: "field" }, h("label", { htmlFor: pick.id, text: "Mediator" }), pick),
      h("div", { class: "field" }, h("label", { htmlFor: co.id, text: "Co-mediator (optional)" }), co),
      h("div", { class: "actions" }, btn), out);
  })));
}

async function allCases(panel) {
  const cases = listOf(await api.get("/api/admin/cases"), "cases");
  mount(panel, tableWrap(TABLES.cases, h("table", {},
    h("thead", {}, h("tr", {}, ["Case", "Kind", "Number", "Status", "Conversations"].map((t) => h("th", { text: t })))),
    h("tbody", {}, cases.map((c) => h("tr", { dataset: { caseId: c.id } },
      h("td", {}, h("a", { href: `#/cases/${c.id}`, text: `#${c.id}` })),
      h("td", { text: kindLabel(c.kind) }), h("td", { text: c.court_case_number || "" }),
      h("td", { text: statusLabel(c.status) }),
      h("td", {}, h("a", { href: `#/admin/read/${c.id}`, text: "Read (audited)" }))))))));
}

async function audit(panel) {
  const entries = listOf(await api.get("/api/admin/audit"), "entries", "audit");
  mount(panel, tableWrap(TABLES.audit, h("table", {},
    h("caption", { class: "visually-hidden", text: "Audit log, newest first" }),
    h("thead", {}, h("tr", {}, ["When", "Who", "What", "Case", "Detail"].map((t) => h("th", { text: t })))),
    h("tbody", {}, entries.map((e) => h("tr", {},
      h("td", { text: formatTime(e.at) }), h("td", { text: String(e.actor_user_id ?? "system") }),
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
        .map((t) => h("th", { text: t })))),
      h("tbody", {}, Object.keys(counts).sort().map((channel) => h("tr", { dataset: { channel } },
        h("th", { text: NOTIFY.channels[channel] ?? channel }),
        ...statuses.map((st) => h("td", { text: String(counts[channel][st] ?? 0) }))))))));
}
