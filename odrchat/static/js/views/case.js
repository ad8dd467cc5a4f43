// The case page: three tabs as the FAQ describes them: Case, Conversations, Agreement.

import { api, currentUser } from "../api.js";
import { formatDate, formatDateTime, h, mount } from "../dom.js";
import { ROOM } from "../wire.js";
import { agreementTab } from "./agreement.js";
import { chatPanel, roomLabel } from "./chat.js";
import { OfferDesk } from "./offers.js";
import { DUTIES } from "./faq.js";
import { kindLabel, roleLabel, statusLabel } from "./labels.js";

const TABS = [["case", "Case"], ["conversations", "Conversations"], ["agreement", "Agreement"]];

/** Tabs with the ARIA tabs pattern: arrows move between them, the panel follows. */
export function tabList(tabs, selected, onSelect, { label, className = "" } = {}) {
  const buttons = tabs.map(([key, text, extra]) => h("button", {
    type: "button", id: `tab-${key}`, dataset: { tab: key },
    attrs: { role: "tab", "aria-selected": key === selected ? "true" : "false",
      "aria-controls": `panel-${className || "main"}`, tabindex: key === selected ? "0" : "-1" },
    on: { click: () => onSelect(key) } }, text, extra || null));
  const el = h("div", { class: className, attrs: { role: "tablist", "aria-label": label } }, buttons);
  el.addEventListener("keydown", (ev) => {
    const i = buttons.indexOf(document.activeElement);
    if (i < 0) return;
    let j = null;
    if (ev.key === "ArrowRight") j = (i + 1) % buttons.length;
    else if (ev.key === "ArrowLeft") j = (i - 1 + buttons.length) % buttons.length;
    else if (ev.key === "Home") j = 0;
    else if (ev.key === "End") j = buttons.length - 1;
    if (j === null) return;
    ev.preventDefault();
    buttons[j].focus();
    buttons[j].click();
  });
  return el;
}

export async function page(main, [id, tab = "case", roomParam], ctx) {
  const caseId = Number(id);
  const detail = await api.get(`/api/cases/${caseId}`);
  const user = currentUser();
  const title = `${kindLabel(detail.kind)}${detail.court_case_number ? ` ${detail.court_case_number}` : ""}`;
  ctx.setTitle(title);
  const panel = h("div", { id: "panel-main", attrs: { role: "tabpanel", "aria-labelledby": `tab-${tab}` } });
  const go = (key) => ctx.navigate(`/cases/${caseId}/${key}`);
  const chip = h("span", { class: "status", id: "case-status", text: statusLabel(detail.status) });
  mount(main, h("h1", { text: title }), h("p", {}, chip),
    tabList(TABS, tab, go, { label: "Case sections" }), panel);
  const stopTab = tab === "conversations" ? conversations(panel, detail, user, ctx, roomParam)
    : tab === "agreement" ? agreementTab(panel, detail, user, ctx)
      : await caseTab(panel, detail, user, ctx);
  const stopChip = followStatus(chip, detail, ctx.connection);
  return () => {
    stopChip();
    if (stopTab) stopTab();
  };
}

/** Keep the status chip current: a case event in the joint room (closed, settled) refetches it. */
function followStatus(chip, d, connection) {
  let timer = null;
  const onRoom = (ev) => {
    const room = ev.detail.room;
    if (room.caseId !== d.id || ev.detail.reason !== "event") return;
    const last = room.events.get(room.lastSeq);
    if (!last || !/^(case|agreement)\./.test(last.type)) return;
    clearTimeout(timer);
    timer = setTimeout(async () => {
      try {
        const fresh = await api.get(`/api/cases/${d.id}`);
        chip.textContent = statusLabel(fresh.status);
      } catch {
        // The chip keeps its last known text; the next event tries again.
      }
    }, 300);
  };
  connection.addEventListener("room", onRoom);
  return () => {
    clearTimeout(timer);
    connection.removeEventListener("room", onRoom);
  };
}

// --- Case tab ---------------------------------------------------------------------------

async function caseTab(panel, d, user, ctx) {
  const refresh = () => ctx.navigate(`/cases/${d.id}/case`);
  const facts = h("dl", { class: "facts" },
    h("dt", { text: "Kind" }), h("dd", { text: kindLabel(d.kind) }),
    d.court_name ? [h("dt", { text: "Court" }), h("dd", { text: d.court_name })] : null,
    d.court_case_number ? [h("dt", { text: "Case number" }), h("dd", { text: d.court_case_number })] : null,
    d.hearing_date ? [h("dt", { text: "Hearing date" }), h("dd", { text: formatDate(d.hearing_date) })] : null,
    d.department ? [h("dt", { text: "Department" }), h("dd", { text: d.department })] : null,
    d.premises_address ? [h("dt", { text: "Premises" }), h("dd", { text: d.premises_address })] : null,
    h("dt", { text: "Status" }), h("dd", { text: statusLabel(d.status) }),
    d.description ? [h("dt", { text: "About" }), h("dd", { class: "prewrap", text: d.description })] : null);
  const people = (d.participants || []).map((p) => h("li", { class: "card", dataset: { userId: p.user_id } },
    h("strong", { text: p.display_name }), " — ",
    h("span", { text: roleLabel(p.role, p.side, d.kind) }),
    p.role === "observer" && !p.approved ? " (waiting for the mediator's approval)" : "",
    h("p", { class: "hint", text: p.duties || DUTIES[p.role] || "" }),
    p.email ? h("p", { text: `Email: ${p.email}` }) : null,
    p.phone ? h("p", { text: `Phone: ${p.phone}` }) : null,
    approveButton(d, p, refresh)));
  mount(panel,
    d.next_step ? h("p", { class: d.waiting_on_me ? "waiting" : "notice", text: d.waiting_on_me
      ? `Waiting on you: ${d.next_step}` : d.next_step }) : null,
    d.notice ? h("p", { class: "notice", text: d.notice }) : null,
    d.mediator_intro ? h("p", { class: "notice", text: d.mediator_intro }) : null,
    h("h2", { text: "About the case" }), facts,
    h("h2", { text: "Who takes part" }),
    h("ul", { class: "cards", attrs: { "aria-label": "Participants" } }, people),
    invitationBox(d, refresh),
    await consentBox(d, refresh),
    mediatorActions(d, refresh),
    attorneyBox(d, refresh),
    optOutBox(d, refresh),
    h("p", {}, h("a", { href: "#/prepare", text: "How to prepare" }), " · ",
      h("a", { href: "#/glossary", text: "Legal words explained" })));
}

function isOpen(d) {
  return !["declined", "expired", "opted_out", "impasse", "settled"].includes(d.status);
}

function actionButton(text, run, cls = "") {
  const out = h("span", { attrs: { role: "status" } });
  const btn = h("button", { type: "button", class: cls, text, on: { click: async () => {
    btn.disabled = true;
    try {
      await run();
    } catch (err) {
      out.textContent = err.message;
      btn.disabled = false;
    }
  } } });
  return [btn, out];
}

function approveButton(d, p, refresh) {
  if (p.role !== "observer" || p.approved || !["mediator", "co_mediator"].includes(d.my_role)) return null;
  return h("div", { class: "actions" }, actionButton("Approve observer", async () => {
    await api.post(`/api/cases/${d.id}/observers/${p.user_id}/approve`);
    refresh();
  }));
}

function invitationBox(d, refresh) {
  if (!d.invitation || !isOpen(d)) return null;
  const inv = d.invitation;
  return h("section", {}, h("h2", { text: "Invitation" }),
    h("p", { text: `Invitation sent to ${inv.name}${inv.email ? ` (${inv.email})` : ""}` +
      `${inv.sent_at ? ` on ${formatDateTime(inv.sent_at)}` : ""}. It expires ` +
      `${inv.expires_at ? formatDateTime(inv.expires_at) : "after a while"}.` }),
    inv.email ? h("div", { class: "actions" },
      actionButton("Send it again", async () => {
        await api.post(`/api/cases/${d.id}/invitation/resend`);
        refresh();
      }, "secondary"),
      actionButton("Withdraw the invitation", async () => {
        await api.post(`/api/cases/${d.id}/invitation/revoke`);
        refresh();
      }, "danger")) : null);
}

async function consentBox(d, refresh) {
  const mine = (d.consents || []).find((c) => c.user_id === currentUser()?.id);
  if (!d.consent_needed) {
    return mine ? h("section", {}, h("h2", { text: "Agreement to mediate" }),
      h("p", { text: `You accepted the agreement to mediate on ${formatDateTime(mine.accepted_at)}.` })) : null;
  }
  let text = null;
  try {
    text = await api.get("/api/agreement-to-mediate");
  } catch {
    text = null;
  }
  const version = text?.version || text?.text_version || d.consent_needed;
  const paragraphs = String(text?.text || "").split(/\n\n+/).filter(Boolean);
  const check = h("input", { type: "checkbox", id: "consent-read" });
  const [btn, out] = actionButton("I accept the agreement to mediate", async () => {
    if (!check.checked) {
      out.textContent = "Please tick the box to say you have read the agreement.";
      btn.disabled = false;
      check.focus();
      return;
    }
    await api.post(`/api/cases/${d.id}/consent`, { text_version: version });
    refresh();
  });
  return h("section", { class: "prose", attrs: { "aria-labelledby": "consent-h" } },
    h("h2", { id: "consent-h", text: "Agreement to mediate" }),
    paragraphs.length ? paragraphs.map((p, i) => (i === 0 ? h("h3", { text: p }) : h("p", { text: p })))
      : h("p", { text: "Mediation is voluntary at every stage, the mediator is neutral, and what is " +
        "said in mediation is not shared with the court." }),
    h("div", { class: "field" }, h("label", { class: "check", htmlFor: "consent-read" }, check,
      "I have read the agreement to mediate")),
    h("div", { class: "actions" }, btn, out));
}

function mediatorActions(d, refresh) {
  if (!["mediator", "co_mediator"].includes(d.my_role) || d.status !== "in_mediation") return null;
  const [btn, out] = actionButton("Yes, record the impasse", async () => {
    await api.post(`/api/cases/${d.id}/impasse`);
    refresh();
  }, "danger");
  // Recording an impasse closes the case for everyone: ask once more.
  const confirm = h("div", { class: "notice warn", hidden: true },
    h("p", { text: "This closes mediation for everyone: no more messages or offers. The parties " +
      "are told that no agreement was reached and can still go to their hearing." }),
    h("div", { class: "actions" }, btn, h("button", { type: "button", class: "secondary",
      text: "Go back", on: { click: () => { confirm.hidden = true; } } })), out);
  const ask = h("button", { type: "button", class: "secondary",
    text: "Record an impasse (no agreement possible)", on: { click: () => { confirm.hidden = false; } } });
  return h("section", {}, h("h2", { text: "Mediator" }), h("div", { class: "actions" }, ask), confirm);
}

function attorneyBox(d, refresh) {
  if (d.my_role !== "party" || !isOpen(d)) return null;
  const name = h("input", { id: "att-name", autocomplete: "off" });
  const email = h("input", { id: "att-email", type: "email", autocomplete: "off" });
  const [btn, out] = actionButton("Invite my attorney", async () => {
    await api.post(`/api/cases/${d.id}/attorneys`, { name: name.value, email: email.value });
    refresh();
  }, "secondary");
  return h("details", {}, h("summary", { text: "Add your attorney (optional)" }),
    h("p", { class: "hint", text: "You do not need a lawyer. If you have one, they can take part " +
      "for you or with you." }),
    h("div", { class: "field" }, h("label", { htmlFor: "att-name", text: "Attorney's name" }), name),
    h("div", { class: "field" }, h("label", { htmlFor: "att-email", text: "Attorney's email" }), email),
    h("div", { class: "actions" }, btn, out));
}

function optOutBox(d, refresh) {
  if (!["party", "attorney"].includes(d.my_role) || !isOpen(d)) return null;
  const reason = h("textarea", { id: "optout-reason", rows: 3, maxLength: 2000 });
  const [btn, out] = actionButton("Stop mediation", async () => {
    const body = reason.value.trim() ? { reason: reason.value.trim() } : {};
    await api.post(`/api/cases/${d.id}/opt-out`, body);
    refresh();
  }, "danger");
  return h("details", { class: "optout" }, h("summary", { text: "Stop mediation" }),
    h("p", { text: "Mediation is voluntary at every stage. You can stop at any time, and the " +
      "court does not penalize you for it." + (d.hearing_date
      ? " Your hearing stays on its date, and you can present your case to the judge." : "") }),
    h("div", { class: "field" },
      h("label", { htmlFor: "optout-reason", text: "Why are you stopping? (optional)" }),
      h("p", { class: "hint", text: "Private: only CCR administration can read this. The other " +
        "side is not told who stopped or why." }), reason),
    h("div", { class: "actions" }, btn, out));
}

// --- Conversations tab ------------------------------------------------------------------

const KIND_ORDER = { [ROOM.JOINT]: 0, [ROOM.PRIVATE]: 1, [ROOM.MEDIATORS]: 2 };

function conversations(panel, d, user, ctx, roomParam) {
  const connection = ctx.connection;
  if (d.my_role === "admin") {
    mount(panel, h("p", { class: "notice" }, "CCR administration reads conversations in the ",
      h("a", { href: `#/admin/read/${d.id}`, text: "read-only room reader" }),
      ". Every view there is recorded in the audit log."));
    return null;
  }
  const desk = new OfferDesk(d, user, ctx);
  let stopPanel = null;
  let shown = null;
  const sub = h("div");
  const host = h("div", { id: "panel-subtabs", attrs: { role: "tabpanel" } });
  mount(panel, sub, host);

  const render = () => {
    const rooms = connection.roomsOfCase(d.id).sort((a, b) =>
      KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || String(a.side).localeCompare(String(b.side)));
    if (!rooms.length) {
      if (stopPanel) stopPanel();
      stopPanel = null;
      shown = null;
      mount(sub);
      mount(host, h("p", { class: "notice", text: connection.status === "online"
        ? "The conversation space opens once both sides have agreed to mediate and a mediator " +
          "is assigned."
        : "Connecting to the conversation space…" }));
      return;
    }
    const wanted = rooms.find((r) => String(r.id) === String(roomParam)) || rooms[0];
    const tabs = rooms.map((r) => [String(r.id), roomLabel(r, user, d.my_role, d.kind),
      h("span", { class: "badge", text: r.unread ? String(r.unread) : "",
        attrs: { "aria-label": r.unread ? `${r.unread} unread` : null } })]);
    mount(sub, tabList(tabs, String(wanted.id), (key) => {
      roomParam = key;
      history.replaceState(null, "", `#/cases/${d.id}/conversations/${key}`);
      render();
    }, { label: "Conversations", className: "subtabs" }));
    host.setAttribute("aria-labelledby", `tab-${wanted.id}`);
    if (shown !== wanted.id) {
      if (stopPanel) stopPanel();
      shown = wanted.id;
      const joint = wanted.kind === ROOM.JOINT;
      stopPanel = chatPanel(host, connection, wanted.id, {
        label: roomLabel(wanted, user, d.my_role, d.kind), announce: ctx.announce, caseKind: d.kind,
        renderEvent: joint ? (ev) => desk.render(ev) : null, before: joint ? desk.bar() : null,
      });
    }
  };
  // Badges follow every room; the panel itself listens to its own room.
  const onRoom = (ev) => {
    if (ev.detail.room.caseId === d.id) updateBadges();
  };
  const updateBadges = () => {
    for (const r of connection.roomsOfCase(d.id)) {
      const badge = sub.querySelector(`[data-tab="${r.id}"] .badge`);
      if (badge) {
        badge.textContent = r.unread ? String(r.unread) : "";
        if (r.unread) badge.setAttribute("aria-label", `${r.unread} unread`);
        else badge.removeAttribute("aria-label");
      }
    }
  };
  connection.addEventListener("rooms", render);
  connection.addEventListener("room", onRoom);
  render();
  return () => {
    if (stopPanel) stopPanel();
    connection.removeEventListener("rooms", render);
    connection.removeEventListener("room", onRoom);
  };
}
