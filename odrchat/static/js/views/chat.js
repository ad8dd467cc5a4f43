// One room on screen: who can see it, its messages, typing, read markers and the composer.
// All rooms stay subscribed on the tab's one socket; showing another room only swaps this panel.

import { formatTime, h, linkify, mount } from "../dom.js";
import { AGREEMENT, DOCUMENT, E, MAX_TEXT, OFFER, ROOM, S, isOfferEvent } from "../wire.js";
import { errorText } from "../socket.js";
import {
  blockText, canWrite, controlBar, controlEvent, hiddenMessage, messageActions, settleRelays,
  stateBanner,
} from "./control.js";
import { attachBar, documentCard, documentsList } from "./documents.js";
import { EVENT_TEXT, EVENT_TEXT_OTHER, ROLES, roleLabel } from "./labels.js";
import { formatList, languages, t } from "../i18n.js";
import { helpButton } from "./safety.js";

const TYPING_REPEAT_MS = 3000;
const TYPING_IDLE_MS = 4000;


/** The tab name of a room as this user sees it. */
export function roomLabel(room, me, myRole, kindOfCase) {
  if (room.kind === ROOM.JOINT) return t("chat.room.joint");
  if (room.kind === ROOM.MEDIATORS) return t("chat.room.mediators");
  // "<party name> + Mediator", as the FAQ calls it, in the reader's language (the server's
  // room.title is in English, so it is only the last resort).
  if (room.kind === ROOM.PRIVATE) {
    const party = (room.audience || []).find((m) => m.role === "party")?.name;
    const name = myRole === "party" || myRole === "attorney" ? me.display_name || me.name
      : party || roleLabel("party", room.side, kindOfCase);
    return t("chat.room.private", { name });
  }
  return room.title || t("chat.room.other", { id: String(room.id) });
}

/** A name as shown: the server names the administration as a whole in English. */
function nameOf(member) {
  return member.user_id === null && member.role === "admin" ? ROLES.admin : member.name;
}

function audienceText(member, showLanguage, caseKind) {
  if (member.user_id === null) return nameOf(member);
  const role = member.role === "party" || member.role === "attorney"
    ? roleLabel(member.role, member.side, caseKind) : ROLES[member.role] || member.role;
  const language = showLanguage && member.language ? languages()[member.language] || member.language : null;
  return `${member.name} (${language ? `${role} · ${language}` : role})`;
}

/** True when the signed-in user is a mediator or co-mediator of the room's case. */
export function mediatesRoom(room, me) {
  const mine = (room.audience || []).find((m) => m.user_id === me?.id);
  return Boolean(mine && ["mediator", "co_mediator"].includes(mine.role));
}

/**
 * Mount a chat panel for `roomId` into `host`; returns a cleanup function. `renderEvent(ev)`
 * may draw a stored event itself (offer cards) and returns null to leave it to the default;
 * `before` is shown above the message list (the joint room's offer bar).
 */
export function chatPanel(host, connection, roomId,
  { label, announce, caseKind, renderEvent = null, before = null, languageOf = new Map() } = {}) {
  const room = connection.rooms.get(roomId);
  const me = () => connection.user;
  const items = new Map(); // "s<seq>" or "c<client id>" -> <li>
  // The scrolling list keeps its list semantics (an <li> under role="log" is no list item) and
  // takes keyboard focus so that arrow keys scroll it; the live region is the wrapper around it.
  const list = h("ol", { class: "messages", attrs: { tabindex: "0", "aria-label": t("chat.messagesIn", { room: label }) } });
  const log = h("div", { class: "log", attrs: {
    role: "log", "aria-live": "polite", "aria-relevant": "additions", "aria-label": t("chat.messagesIn", { room: label }),
  } }, list);
  const older = h("button", { type: "button", class: "secondary", text: t("chat.olderMessages"),
    on: { click: () => connection.loadOlder(roomId) } });
  const olderWrap = h("li", { class: "msg system", hidden: true }, older);
  list.appendChild(olderWrap);
  const audience = h("ul", { class: "audience" });
  const audienceSummary = h("span");
  const typing = h("p", { class: "typing", attrs: { "aria-live": "off" } });
  const seen = h("p", { class: "typing seen" });
  const input = h("textarea", { id: `composer-${roomId}`, rows: 1, maxLength: MAX_TEXT,
    attrs: { autocomplete: "off", enterkeyhint: "send" } });
  const sendBtn = h("button", { type: "submit", text: t("chat.sendButton") });
  const composer = h("form", { class: "composer", attrs: { "aria-label": t("chat.writeTo", { room: label }) } },
    h("label", { htmlFor: input.id, class: "visually-hidden", text: t("chat.messageTo", { room: label }) }),
    input, sendBtn);
  const readonly = h("p", { class: "readonly", hidden: true });
  const myRole = (room.audience || []).find((m) => m.user_id === me()?.id)?.role;
  const docs = documentsList(room, { party: myRole === "party" || myRole === "attorney" });
  const attach = attachBar(roomId);
  // The joint room's state (caucus mode, a pause) for everyone; the mediator's controls.
  const banner = h("div", { class: "control-banner" });
  const bar = room.kind === ROOM.JOINT && mediatesRoom(room, me()) ? controlBar(room, caseKind) : null;
  let muteTimer = null;
  const panel = h("section", { class: "chat", dataset: { room: roomId }, attrs: { "aria-label": label } },
    h("div", { class: "chat-head" },
      h("details", {}, h("summary", {}, audienceSummary), audience), docs.element,
      myRole === "party" && room.caseId ? helpButton(room.caseId, roomId) : null),
    bar ? bar.element : null, banner,
    h("p", { class: "hint not-translated", text: t("chat.notTranslated") }),
    log, typing, seen, composer, attach, readonly);
  mount(host, before, panel);
  // Each person's language (user id -> code), for mediators: a Map, or a promise of one.
  let langs = languageOf instanceof Map ? languageOf : new Map();
  if (typeof languageOf?.then === "function") {
    languageOf.then((found) => {
      langs = found;
      if (panel.isConnected) renderHead();
    }, () => {});
  }

  let typingSentAt = 0;
  let idleTimer = null;
  const stopTyping = () => {
    clearTimeout(idleTimer);
    if (typingSentAt) connection.typing(roomId, false);
    typingSentAt = 0;
  };
  input.addEventListener("input", () => {
    const now = Date.now();
    if (input.value.trim() && now - typingSentAt > TYPING_REPEAT_MS) {
      connection.typing(roomId, true);
      typingSentAt = now;
    }
    clearTimeout(idleTimer);
    idleTimer = setTimeout(stopTyping, TYPING_IDLE_MS);
  });
  input.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      composer.requestSubmit();
    }
  });
  composer.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const text = input.value;
    if (!text.trim()) return;
    stopTyping();
    connection.sendMessage(roomId, text);
    input.value = "";
    input.focus();
  });

  function nearBottom() {
    return list.scrollHeight - list.scrollTop - list.clientHeight < 80;
  }

  function renderStored(ev) {
    const custom = renderEvent ? renderEvent(ev) : null;
    if (custom) {
      custom.dataset.seq = ev.seq;
      return custom;
    }
    if (ev.type === DOCUMENT.SHARED) {
      docs.refresh();
      return documentCard(ev, { me: me(), room, caseKind });
    }
    if (ev.type === S.MESSAGE) {
      if (ev.hidden) {
        const placeholder = hiddenMessage(ev, room, me());
        if (placeholder) return placeholder;
      }
      const mine = ev.sender?.id === me()?.id;
      return h("li", { class: `${mine ? "msg mine" : "msg"}${ev.hidden ? " hidden-msg" : ""}`,
        dataset: { seq: ev.seq, state: "sent", clientId: ev.msg_id || "", hidden: ev.hidden ? "1" : "" } },
        h("span", { class: "meta" },
          h("span", { class: "sender", text: mine ? t("chat.you") : ev.sender?.name || t("chat.someone") }),
          ev.sender && !mine ? ` · ${roleLabel(ev.sender.role, ev.sender.side, caseKind)}` : "",
          " · ", h("time", { dateTime: ev.at, text: formatTime(ev.at) }),
          ev.hidden ? h("span", { class: "badge", text: ` · ${t("control.hide.marked")}` }) : null,
          mediatesRoom(room, me()) ? flagControl(ev) : null,
          messageActions(ev, room, me())),
        h("span", { class: "text" }, linkify(ev.text ?? "")));
    }
    const control = controlEvent(ev, room, me());
    if (control) return control;
    const kept = ev.type === AGREEMENT.FILED && ev.agreement?.court_filed === false;
    const what = kept ? t("labels.event.agreementKeptOnFile") : EVENT_TEXT[ev.type] || t(EVENT_TEXT_OTHER);
    const by = ev.by?.name && isOfferEvent(ev) && ev.type !== OFFER.EXPIRED;
    return h("li", { class: "msg system", dataset: { seq: ev.seq } },
      h("span", { text: by ? t("chat.offerBy", { name: ev.by.name, text: what }) : what }), " ",
      h("time", { dateTime: ev.at, text: formatTime(ev.at) }));
  }

  // Mediators flag a message for CCR administration (abuse, a safety concern).
  function flagControl(ev) {
    const btn = h("button", { type: "button", class: "link flag", text: t("chat.flag.button"),
      attrs: { "aria-label": t("chat.flag.label") } });
    btn.addEventListener("click", () => {
      const li = btn.closest("li");
      if (li.querySelector("form.flag-form")) return;
      const id = `flag-${roomId}-${ev.seq}`;
      const reason = h("textarea", { id, rows: 2, maxLength: 500, required: true });
      const out = h("p", { class: "field-error", attrs: { role: "status" } });
      const form = h("form", { class: "flag-form" },
        h("label", { htmlFor: id, text: t("chat.flag.reason") }),
        reason, out,
        h("div", { class: "actions" }, h("button", { type: "submit", text: t("chat.flag.submit") }),
          h("button", { type: "button", class: "secondary", text: t("cases.cancel"),
            on: { click: () => form.remove() } })));
      form.addEventListener("submit", (e) => {
        e.preventDefault();
        if (!reason.value.trim()) {
          out.textContent = t("chat.flag.sayWhy");
          reason.focus();
          return;
        }
        const re = connection.flag(roomId, ev.seq, reason.value.trim());
        if (!re) {
          out.textContent = t("chat.flag.offline");
          return;
        }
        const done = (e2) => {
          if (e2.detail.re !== re) return;
          connection.removeEventListener("flagged", done);
          connection.removeEventListener("error", done);
          if (e2.type === "flagged") {
            mount(form, h("p", { class: "notice ok", attrs: { role: "status" },
              text: t("chat.flag.done") }));
            btn.remove();
          } else {
            out.textContent = e2.detail.code === E.FORBIDDEN
              ? t("chat.flag.failed") : errorText(e2.detail);
          }
        };
        connection.addEventListener("flagged", done);
        connection.addEventListener("error", done);
      });
      li.appendChild(form);
      reason.focus();
    });
    return [" · ", btn];
  }

  function renderPending(out) {
    const li = h("li", { class: "msg mine", dataset: { clientId: out.id, state: out.state } },
      h("span", { class: "meta" }, h("span", { class: "sender", text: t("chat.you") })),
      h("span", { class: "text" }, linkify(out.text)),
      h("span", { class: "state", attrs: { role: out.state === "failed" ? "alert" : null } }));
    updatePending(li, out);
    return li;
  }

  function updatePending(li, out) {
    li.dataset.state = out.state;
    const state = li.querySelector(".state");
    if (out.state === "failed") {
      mount(state, ` ${t("chat.notSent", { why: errorText(out.error) })} `,
        h("button", { type: "button", class: "link", text: t("docs.retry"),
          on: { click: () => connection.retry(out.id) } }),
        h("button", { type: "button", class: "link", text: t("chat.delete"),
          on: { click: () => connection.discard(out.id) } }));
    } else {
      state.textContent = ` ${connection.status === "online" ? t("chat.sending") : t("chat.waiting")}`;
    }
  }

  function sync(reason) {
    const stick = nearBottom() || reason === "outbox";
    // Stored events, in seq order, each inserted once (dedupe by seq).
    const seqs = [...room.events.keys()].sort((a, b) => a - b);
    for (const seq of seqs) {
      const key = `s${seq}`;
      const ev = room.events.get(seq);
      if (items.has(key)) {
        // A message the mediator hid since it was drawn: draw it again.
        const shown = items.get(key);
        if (ev.hidden && shown.dataset.hidden !== "1") {
          const li = renderStored(ev);
          shown.replaceWith(li);
          items.set(key, li);
        }
        continue;
      }
      const li = renderStored(ev);
      items.set(key, li);
      // Place before the first shown item with a larger seq, else before the pending ones.
      let before = null;
      for (const [k, el] of items) {
        if (k.startsWith("s") && Number(k.slice(1)) > seq && el.isConnected) {
          if (!before || Number(before.dataset.seq) > Number(k.slice(1))) before = el;
        }
      }
      if (!before) before = list.querySelector("li[data-state='pending'], li[data-state='failed']");
      list.insertBefore(li, before);
    }
    // Not-yet-stored messages of mine, at the end.
    const pending = new Map(connection.pendingFor(roomId).map((o) => [`c${o.id}`, o]));
    for (const [key, li] of items) {
      if (key.startsWith("c") && !pending.has(key)) {
        li.remove();
        items.delete(key);
      }
    }
    for (const [key, out] of pending) {
      if (items.has(key)) updatePending(items.get(key), out);
      else {
        const li = renderPending(out);
        items.set(key, li);
        list.appendChild(li);
      }
    }
    settleRelays(list, room);
    olderWrap.hidden = !room.more || room.firstSeq === null;
    renderHead();
    renderTyping();
    renderSeen();
    if (stick) list.scrollTop = list.scrollHeight;
    // Screen readers hear new messages through the list's role="log" (aria-live polite);
    // `announce` is kept for short notices so nothing is read twice.
    markRead();
  }

  function renderHead() {
    const people = room.audience || [];
    audienceSummary.textContent = t("chat.audience", { names: people.map(nameOf).join(", ") || "…" });
    // Mediators see each person's language: messages are never translated.
    const staff = ["mediator", "co_mediator"].includes(myRole);
    mount(audience, people.map((m) => {
      const online = room.presence.has(m.user_id);
      const language = m.language ?? langs.get(m.user_id);
      return h("li", { dataset: { userId: m.user_id } }, audienceText({ ...m, language }, staff, caseKind),
        online ? h("span", { class: "online-dot", text: ` ● ${t("chat.online")}` }) : null);
    }));
    mount(banner, stateBanner(room));
    if (bar) bar.refresh();
    clearTimeout(muteTimer);
    if (canWrite(room)) {
      composer.hidden = false;
      attach.hidden = false;
      readonly.hidden = true;
    } else {
      composer.hidden = true;
      attach.hidden = true;
      readonly.hidden = false;
      readonly.textContent = room.closed
        ? t("chat.readonly.closed")
        : blockText(room) || t("chat.readonly.read");
      const until = room.control?.muted_until;
      // A mute ends by itself: open the composer again then, with no word from the server.
      if (until) muteTimer = setTimeout(renderHead, Math.max(0, Date.parse(until) - Date.now()) + 250);
    }
  }

  function renderTyping() {
    const names = [...room.typing.keys()]
      .map((id) => (room.audience || []).find((m) => m.user_id === id)?.name)
      .filter(Boolean);
    typing.textContent = names.length === 0 ? ""
      : t("chat.typing", { names: formatList(names), count: names.length });
  }

  function renderSeen() {
    const myId = me()?.id;
    let lastMine = 0;
    for (const ev of room.events.values()) if (ev.sender?.id === myId && ev.seq > lastMine) lastMine = ev.seq;
    if (!lastMine) {
      seen.textContent = "";
      return;
    }
    const readers = [...room.readers.entries()].filter(([id, seq]) => id !== myId && seq >= lastMine)
      .map(([id]) => (room.audience || []).find((m) => m.user_id === id)?.name).filter(Boolean);
    seen.textContent = readers.length ? t("chat.seenBy", { names: formatList(readers) }) : "";
  }

  function markRead() {
    if (document.visibilityState === "visible" && panel.isConnected) connection.markRead(roomId);
  }

  const onRoom = (ev) => {
    if (ev.detail.room === room) sync(ev.detail.reason);
  };
  const onStatus = () => sync("status");
  const onVisible = () => markRead();
  connection.addEventListener("room", onRoom);
  connection.addEventListener("status", onStatus);
  document.addEventListener("visibilitychange", onVisible);
  sync("mount");
  return () => {
    stopTyping();
    clearTimeout(muteTimer);
    connection.removeEventListener("room", onRoom);
    connection.removeEventListener("status", onStatus);
    document.removeEventListener("visibilitychange", onVisible);
  };
}
