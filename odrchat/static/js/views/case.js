// The case page: three tabs as the FAQ describes them: Case, Conversations, Agreement.

import { api, currentUser } from "../api.js";
import { formatDate, formatDateTime, h, mount, withLink } from "../dom.js";
import { languages, lazyPairs, t } from "../i18n.js";
import { ROOM } from "../wire.js";
import { agreementTab } from "./agreement.js";
import { chatPanel, roomLabel } from "./chat.js";
import { OfferDesk } from "./offers.js";
import { DUTIES } from "./faq.js";
import { interpreterLine } from "./interpreter.js";
import { kindLabel, roleLabel, statusLabel } from "./labels.js";
import { safetyBox, screeningBox } from "./safety.js";

const TABS = lazyPairs([
  ["case", "case.tab.case"], ["conversations", "case.tab.conversations"], ["agreement", "case.tab.agreement"],
]);

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
    tabList(TABS, tab, go, { label: t("case.sections") }), panel);
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
    h("dt", { text: t("case.fact.kind") }), h("dd", { text: kindLabel(d.kind) }),
    d.court_name ? [h("dt", { text: t("invite.fact.court") }), h("dd", { text: d.court_name })] : null,
    d.court_case_number ? [h("dt", { text: t("invite.fact.caseNumber") }), h("dd", { text: d.court_case_number })] : null,
    d.hearing_date ? [h("dt", { text: t("invite.fact.hearing") }), h("dd", { text: formatDate(d.hearing_date) })] : null,
    d.department ? [h("dt", { text: t("case.fact.department") }), h("dd", { text: d.department })] : null,
    d.premises_address ? [h("dt", { text: t("case.fact.premises") }), h("dd", { text: d.premises_address })] : null,
    h("dt", { text: t("case.fact.status") }), h("dd", { text: statusLabel(d.status) }),
    d.fee_review ? [h("dt", { text: t("case.fact.fee") }), h("dd", { id: "fee-status", text: t(FEE_KEYS[d.fee_status || ""]) })] : null,
    d.description ? [h("dt", { text: t("case.fact.about") }), h("dd", { class: "prewrap", text: d.description })] : null);
  const people = (d.participants || []).map((p) => h("li", { class: "card", dataset: { userId: p.user_id } },
    h("strong", { text: p.display_name }), " — ",
    h("span", { text: roleLabel(p.role, p.side, d.kind) }),
    p.role === "observer" && !p.approved ? t("case.observerWaiting") : "",
    h("p", { class: "hint", text: DUTIES[p.role] || p.duties || "" }),
    p.email ? h("p", { text: t("case.email", { email: p.email }) }) : null,
    p.phone ? h("p", { text: t("case.phone", { phone: p.phone }) }) : null,
    languageLine(p, d),
    interpreterLine(p),
    approveButton(d, p, refresh)));
  mount(panel,
    d.next_step ? h("p", { class: d.waiting_on_me ? "waiting" : "notice", dataset: { serverText: "" },
      text: d.waiting_on_me ? t("cases.waitingOnYou", { step: d.next_step }) : d.next_step }) : null,
    d.notice ? h("p", { class: "notice", dataset: { serverText: "" }, text: d.notice }) : null,
    d.performed_at ? h("p", { class: "notice ok", dataset: { performed: "yes" }, text: t("case.performed") }) : null,
    d.mediator_intro ? h("p", { class: "notice", dataset: { serverText: "" }, text: d.mediator_intro }) : null,
    h("h2", { text: t("case.about") }), facts,
    h("h2", { text: t("case.who") }),
    h("ul", { class: "cards", attrs: { "aria-label": t("case.participants") } }, people),
    invitationBox(d, refresh),
    await safetyBox(d),
    screeningBox(d, refresh),
    // The agreement to mediate comes once the party has answered the safety questions.
    d.screening_required && d.screening_answered === false ? null : await consentBox(d, refresh),
    mediatorActions(d, refresh),
    observerBox(d, refresh),
    attorneyBox(d, refresh),
    optOutBox(d, refresh),
    h("p", {}, h("a", { href: "#/prepare", text: t("faq.link.prepare") }), " · ",
      h("a", { href: "#/glossary", text: t("faq.link.glossary") })));
}

/** Staff see each participant's language: messages are never translated, so it helps them. */
function languageLine(p, d) {
  const staff = ["mediator", "co_mediator", "admin", "observer"].includes(d.my_role);
  if (!staff || !p.language) return null;
  return h("p", { class: "lang-of" }, t("case.language", { language: languages()[p.language] || p.language }));
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

const FEE_KEYS = { "": "case.fee.review", waived: "case.fee.waived", paid: "case.fee.paid", due: "case.fee.due" };

// Who adds observers and approves them on their card: the mediator, and the centre's admins
// (the case rules refuse a co-mediator, so a co-mediator is not offered the buttons).
const RUNS_OBSERVERS = ["mediator", "admin"];

/** The mediator (or an admin) adds a mediator in training as an observer, approved on their card. */
function observerBox(d, refresh) {
  if (!RUNS_OBSERVERS.includes(d.my_role) || !isOpen(d)) return null;
  const email = h("input", { id: "observer-email", type: "email", autocomplete: "off" });
  const [btn, out] = actionButton(t("case.observer.add"), async () => {
    await api.post(`/api/cases/${d.id}/observers`, { email: email.value.trim() });
    refresh();
  }, "secondary");
  return h("details", {}, h("summary", { text: t("case.observer.title") }),
    h("p", { class: "hint", text: t("case.observer.hint") }),
    h("div", { class: "field" }, h("label", { htmlFor: "observer-email", text: t("case.observer.email") }), email),
    h("div", { class: "actions" }, btn, out));
}

function approveButton(d, p, refresh) {
  if (p.role !== "observer" || p.approved || !RUNS_OBSERVERS.includes(d.my_role)
    || d.status !== "in_mediation") return null;
  return h("div", { class: "actions" }, actionButton(t("case.approveObserver"), async () => {
    await api.post(`/api/cases/${d.id}/observers/${p.user_id}/approve`);
    refresh();
  }));
}

function invitationBox(d, refresh) {
  if (!d.invitation || !isOpen(d)) return null;
  const inv = d.invitation;
  return h("section", {}, h("h2", { text: t("case.invitation") }),
    h("p", { text: [
      inv.email ? t("case.invitation.sentTo", { name: inv.name, email: inv.email })
        : t("case.invitation.sent", { name: inv.name }),
      inv.sent_at ? t("case.invitation.on", { date: formatDateTime(inv.sent_at) }) : null,
      inv.expires_at ? t("case.invitation.expires", { date: formatDateTime(inv.expires_at) })
        : t("case.invitation.expiresLater"),
    ].filter(Boolean).join(" ") }),
    inv.email ? h("div", { class: "actions" },
      actionButton(t("case.resend"), async () => {
        await api.post(`/api/cases/${d.id}/invitation/resend`);
        refresh();
      }, "secondary"),
      actionButton(t("case.revoke"), async () => {
        await api.post(`/api/cases/${d.id}/invitation/revoke`);
        refresh();
      }, "danger")) : null);
}

async function consentBox(d, refresh) {
  const mine = (d.consents || []).find((c) => c.user_id === currentUser()?.id);
  if (!d.consent_needed) {
    return mine ? h("section", {}, h("h2", { text: t("case.consent.title") }),
      h("p", { text: t("case.consent.accepted", { date: formatDateTime(mine.accepted_at) }) })) : null;
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
  const [btn, out] = actionButton(t("case.consent.accept"), async () => {
    if (!check.checked) {
      out.textContent = t("case.consent.tick");
      btn.disabled = false;
      check.focus();
      return;
    }
    await api.post(`/api/cases/${d.id}/consent`, { text_version: version });
    refresh();
  });
  return h("section", { class: "prose", attrs: { "aria-labelledby": "consent-h" } },
    h("h2", { id: "consent-h", text: t("case.consent.title") }),
    paragraphs.length ? h("div", { dataset: { serverText: "" } },
      paragraphs.map((p, i) => (i === 0 ? h("h3", { text: p }) : h("p", { text: p }))))
      : h("p", { text: t("case.consent.fallback") }),
    h("div", { class: "field" }, h("label", { class: "check", htmlFor: "consent-read" }, check,
      t("case.consent.read"))),
    h("div", { class: "actions" }, btn, out));
}

function mediatorActions(d, refresh) {
  if (!["mediator", "co_mediator"].includes(d.my_role) || d.status !== "in_mediation") return null;
  const [btn, out] = actionButton(t("case.impasse.yes"), async () => {
    await api.post(`/api/cases/${d.id}/impasse`);
    refresh();
  }, "danger");
  // Recording an impasse closes the case for everyone: ask once more.
  const confirm = h("div", { class: "notice warn", hidden: true },
    h("p", { text: t("case.impasse.warn") }),
    h("div", { class: "actions" }, btn, h("button", { type: "button", class: "secondary",
      text: t("invite.confirmDecline.back"), on: { click: () => { confirm.hidden = true; } } })), out);
  const ask = h("button", { type: "button", class: "secondary",
    text: t("case.impasse.ask"), on: { click: () => { confirm.hidden = false; } } });
  return h("section", {}, h("h2", { text: t("case.mediator") }), h("div", { class: "actions" }, ask), confirm);
}

function attorneyBox(d, refresh) {
  if (d.my_role !== "party" || !isOpen(d)) return null;
  const name = h("input", { id: "att-name", autocomplete: "off" });
  const email = h("input", { id: "att-email", type: "email", autocomplete: "off" });
  const [btn, out] = actionButton(t("case.attorney.invite"), async () => {
    await api.post(`/api/cases/${d.id}/attorneys`, { name: name.value, email: email.value });
    refresh();
  }, "secondary");
  return h("details", {}, h("summary", { text: t("case.attorney.add") }),
    h("p", { class: "hint", text: t("case.attorney.hint") }),
    h("div", { class: "field" }, h("label", { htmlFor: "att-name", text: t("case.attorney.name") }), name),
    h("div", { class: "field" }, h("label", { htmlFor: "att-email", text: t("case.attorney.email") }), email),
    h("div", { class: "actions" }, btn, out));
}

function optOutBox(d, refresh) {
  if (!["party", "attorney"].includes(d.my_role) || !isOpen(d)) return null;
  const reason = h("textarea", { id: "optout-reason", rows: 3, maxLength: 2000 });
  const [btn, out] = actionButton(t("case.optOut.yes"), async () => {
    const body = reason.value.trim() ? { reason: reason.value.trim() } : {};
    await api.post(`/api/cases/${d.id}/opt-out`, body);
    refresh();
  }, "danger");
  // Stopping ends mediation for everyone: ask once more before it happens.
  const confirm = h("div", { class: "notice warn", hidden: true },
    h("p", { text: t("case.optOut.warn") }),
    h("div", { class: "actions" }, btn, h("button", { type: "button", class: "secondary",
      text: t("invite.confirmDecline.back"), on: { click: () => { confirm.hidden = true; ask.hidden = false; } } })), out);
  const ask = h("button", { type: "button", class: "danger", text: t("case.optOut.button"),
    on: { click: () => { confirm.hidden = false; ask.hidden = true; } } });
  return h("details", { class: "optout" }, h("summary", { text: t("case.optOut.button") }),
    h("p", { text: d.hearing_date ? `${t("case.optOut.text")} ${t("case.optOut.hearing")}`
      : t("case.optOut.text") }),
    h("div", { class: "field" },
      h("label", { htmlFor: "optout-reason", text: t("case.optOut.reason") }),
      h("p", { class: "hint", text: t("case.optOut.private") }), reason),
    h("div", { class: "actions" }, ask), confirm);
}

// --- Conversations tab ------------------------------------------------------------------

const KIND_ORDER = { [ROOM.JOINT]: 0, [ROOM.PRIVATE]: 1, [ROOM.MEDIATORS]: 2 };

function conversations(panel, d, user, ctx, roomParam) {
  const connection = ctx.connection;
  if (d.my_role === "admin") {
    mount(panel, h("p", { class: "notice" }, withLink(t("case.admin.reader"),
      h("a", { href: `#/admin/read/${d.id}`, text: t("case.admin.readerLink") }))));
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
        ? t("case.rooms.closed") : t("case.rooms.connecting") }));
      return;
    }
    const wanted = rooms.find((r) => String(r.id) === String(roomParam)) || rooms[0];
    const tabs = rooms.map((r) => [String(r.id), roomLabel(r, user, d.my_role, d.kind),
      h("span", { class: "badge", text: r.unread ? String(r.unread) : "",
        attrs: { "aria-label": r.unread ? t("cases.unread", { count: r.unread }) : null } })]);
    mount(sub, tabList(tabs, String(wanted.id), (key) => {
      roomParam = key;
      history.replaceState(null, "", `#/cases/${d.id}/conversations/${key}`);
      render();
    }, { label: t("case.tab.conversations"), className: "subtabs" }));
    host.setAttribute("aria-labelledby", `tab-${wanted.id}`);
    if (shown !== wanted.id) {
      if (stopPanel) stopPanel();
      shown = wanted.id;
      const joint = wanted.kind === ROOM.JOINT;
      stopPanel = chatPanel(host, connection, wanted.id, {
        label: roomLabel(wanted, user, d.my_role, d.kind), announce: ctx.announce, caseKind: d.kind,
        languageOf: new Map((d.participants || []).map((p) => [p.user_id, p.language])),
        renderEvent: joint ? (ev) => desk.render(ev) : null, before: joint ? desk.bar() : null,
      });
    }
  };
  // Badges follow every room; the panel itself listens to its own room.
  const onRoom = (ev) => {
    const { room, reason } = ev.detail;
    if (room.caseId !== d.id) return;
    updateBadges();
    // Caucus mode on or off: the offer cards' relay actions follow it.
    if (room.kind === ROOM.JOINT && ["updated", "snapshot"].includes(reason)) {
      const caucus = Boolean(room.control?.caucus);
      if (caucus !== lastCaucus) {
        lastCaucus = caucus;
        desk.refresh();
      }
    }
  };
  let lastCaucus = desk.caucus;
  const updateBadges = () => {
    for (const r of connection.roomsOfCase(d.id)) {
      const badge = sub.querySelector(`[data-tab="${r.id}"] .badge`);
      if (badge) {
        badge.textContent = r.unread ? String(r.unread) : "";
        if (r.unread) badge.setAttribute("aria-label", t("cases.unread", { count: r.unread }));
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
