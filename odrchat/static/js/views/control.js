// The mediator's tools in a room: caucus-only mode, pause, mute, remove, hide a message, and
// relays between a private room and the other side. Parties see what these mean for them
// (a paused or caucus joint room, their own mute, relayed words) and answer relay requests.
// Every change goes over HTTP; what happened comes back as stored control.* / relay.* events
// and room.updated frames, so every open tab shows the same state at once.

import { api } from "../api.js";
import { formatTime, h, linkify, mount } from "../dom.js";
import { t } from "../i18n.js";
import { BLOCK, CONTROL, RELAY, ROOM } from "../wire.js";
import { roleLabel } from "./labels.js";

const MUTE_MINUTES = [5, 15, 60];

/** True when I mediate this room's case. */
function mediates(room, me) {
  const mine = (room.audience || []).find((m) => m.user_id === me?.id);
  return Boolean(mine && ["mediator", "co_mediator"].includes(mine.role));
}

/** My seat in the room (party, attorney, ...) and side. */
function seat(room, me) {
  return (room.audience || []).find((m) => m.user_id === me?.id) || null;
}

/** Whether I may write now: the server's answer, or a mute that has run out since. */
export function canWrite(room) {
  if (room.closed) return false;
  if (room.writable) return true;
  const c = room.control;
  return Boolean(c && c.block === BLOCK.MUTED && c.muted_until && Date.parse(c.muted_until) <= Date.now());
}

/** Why I may not write here, in words (null when it is the room's ordinary rule). */
export function blockText(room) {
  const c = room.control;
  if (!c || !c.block || canWrite(room)) return null;
  if (c.block === BLOCK.MUTED) return t("control.block.muted", { time: formatTime(c.muted_until) });
  if (c.block === BLOCK.PAUSED) return t("control.block.paused");
  if (c.block === BLOCK.CAUCUS) return t("control.block.caucus");
  if (c.block === BLOCK.REMOVED) return t("control.block.removed");
  return null;
}

/** A line above the messages while the joint room is paused or in caucus mode. */
export function stateBanner(room) {
  const c = room.control;
  if (!c || room.kind !== ROOM.JOINT) return null;
  const lines = [];
  if (c.caucus) lines.push(t("control.banner.caucus"));
  if (c.paused) lines.push(t("control.banner.paused"));
  if (!lines.length) return null;
  return h("p", { class: "notice control-state", attrs: { role: "status" }, text: lines.join(" ") });
}

/** An inline form asking for a text (a reason, a rephrasing); `submit(text)` may throw. */
export function inlineForm(anchor, { label, submitLabel, value = "", required = true, submit }) {
  const id = `f-${Math.random().toString(36).slice(2, 9)}`;
  const text = h("textarea", { id, rows: 2, maxLength: 4000, value });
  const out = h("p", { class: "field-error", attrs: { role: "status" } });
  const form = h("form", { class: "inline-form" },
    h("label", { htmlFor: id, text: label }), text, out,
    h("div", { class: "actions" }, h("button", { type: "submit", text: submitLabel }),
      h("button", { type: "button", class: "secondary", text: t("cases.cancel"),
        on: { click: () => form.remove() } })));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (required && !text.value.trim()) {
      out.textContent = t("control.sayWhy");
      text.focus();
      return;
    }
    try {
      await submit(text.value.trim());
      form.remove();
    } catch (err) {
      out.textContent = err.message || t("control.failed");
    }
  });
  anchor.appendChild(form);
  text.focus();
  return form;
}

async function post(path, body, out) {
  try {
    return await api.post(path, body);
  } catch (err) {
    if (out) out.textContent = err.message || t("control.failed");
    throw err;
  }
}

// -- the mediator's bar in the joint room ------------------------------------------------------

/** The mediator's controls for a joint room: caucus, pause, mute, remove, readmit. */
export function controlBar(room, caseKind) {
  const out = h("p", { class: "field-error", attrs: { role: "status" } });
  const body = h("div", { class: "control-body" });
  const element = h("details", { class: "room-control" },
    h("summary", { text: t("control.bar.title") }), body, out);
  const caseUrl = () => `/api/cases/${room.caseId}/control`;
  const names = new Map(); // everyone ever seen here: a removed person leaves the audience

  function people() {
    return (room.audience || []).filter((m) => ["party", "attorney"].includes(m.role));
  }

  function refresh() {
    for (const m of room.audience || []) if (m.user_id) names.set(m.user_id, m.name);
    const c = room.control || {};
    const caucus = h("button", { type: "button", class: "secondary",
      text: c.caucus ? t("control.caucus.off") : t("control.caucus.on") });
    caucus.addEventListener("click", () => {
      if (c.caucus && c.safety) {
        inlineForm(body, { label: t("control.caucus.reason"), submitLabel: t("control.caucus.off"),
          submit: (reason) => api.post(`${caseUrl()}/caucus`, { on: false, reason }) });
        return;
      }
      post(`${caseUrl()}/caucus`, { on: !c.caucus }, out).catch(() => {});
    });
    const pause = h("button", { type: "button", class: "secondary",
      text: c.paused ? t("control.pause.resume") : t("control.pause.pause") });
    pause.addEventListener("click", () => {
      post(`${caseUrl()}/pause`, { paused: !c.paused }, out).catch(() => {});
    });
    const who = h("select", { id: `control-who-${room.id}` },
      ...people().map((m) => h("option", { value: String(m.user_id),
        text: `${m.name} (${roleLabel(m.role, m.side, caseKind)})` })));
    const minutes = h("select", { id: `control-minutes-${room.id}` },
      ...MUTE_MINUTES.map((n) => h("option", { value: String(n), text: t("control.mute.minutes", { count: n }) })));
    const target = () => Number(who.value);
    const mute = h("button", { type: "button", class: "secondary", text: t("control.mute.mute"),
      on: { click: () => post(`${caseUrl()}/mute`, { user_id: target(), minutes: Number(minutes.value) }, out).catch(() => {}) } });
    const unmute = h("button", { type: "button", class: "secondary", text: t("control.mute.unmute"),
      on: { click: () => post(`${caseUrl()}/mute`, { user_id: target(), minutes: 0 }, out).catch(() => {}) } });
    const remove = h("button", { type: "button", class: "secondary danger", text: t("control.remove.remove") });
    remove.addEventListener("click", () => {
      inlineForm(body, { label: t("control.remove.reason"), submitLabel: t("control.remove.remove"),
        submit: (reason) => api.post(`${caseUrl()}/remove`, { user_id: target(), reason }) });
    });
    const removed = (c.removed || []).map((id) => {
      const name = names.get(id) || `#${id}`;
      return h("li", {}, t("control.remove.out", { name }), " ",
        h("button", { type: "button", class: "link", text: t("control.remove.readmit"),
          on: { click: () => post(`${caseUrl()}/readmit`, { user_id: id }, out).catch(() => {}) } }));
    });
    const muted = (c.muted || []).map((m) => {
      const name = (room.audience || []).find((p) => p.user_id === m.user_id)?.name || `#${m.user_id}`;
      return h("li", {}, t("control.mute.until", { name, time: formatTime(m.until) }));
    });
    mount(body,
      h("p", { class: "hint", text: c.caucus ? t("control.caucus.isOn") : t("control.caucus.isOff") }),
      h("div", { class: "actions" }, caucus, pause),
      h("div", { class: "actions" },
        h("label", { htmlFor: who.id, text: t("control.who") }), who,
        h("label", { htmlFor: minutes.id, text: t("control.mute.for") }), minutes,
        mute, unmute, remove),
      muted.length ? h("ul", { class: "control-list" }, ...muted) : null,
      removed.length ? h("ul", { class: "control-list" }, ...removed) : null);
  }
  refresh();
  return { element, refresh };
}

// -- message actions ---------------------------------------------------------------------------

/** Extra actions on a chat message: hide (mediators), share with the other side (private
 * rooms: the mediator shares; the party asks the mediator to share its own side's words). */
export function messageActions(ev, room, me) {
  const actions = [];
  const mediator = mediates(room, me);
  if (mediator && !ev.hidden) {
    const hide = h("button", { type: "button", class: "link hide", text: t("control.hide.button") });
    hide.addEventListener("click", () => {
      const li = hide.closest("li");
      inlineForm(li, { label: t("control.hide.reason"), submitLabel: t("control.hide.button"),
        submit: (reason) => api.post(`/api/rooms/${room.id}/messages/${ev.seq}/hide`, { reason }) });
    });
    actions.push(" · ", hide);
  }
  if (room.kind !== ROOM.PRIVATE || ev.hidden) return actions;
  const mine = seat(room, me);
  const ownSide = ["party", "attorney"].includes(ev.sender?.role) && ev.sender?.side === room.side;
  if (mediator) {
    const share = h("button", { type: "button", class: "link relay", text: t("relay.share") });
    share.addEventListener("click", () => {
      const li = share.closest("li");
      inlineForm(li, { label: t("relay.shareLabel"), submitLabel: t("relay.share"), value: ev.text || "",
        submit: (text) => api.post(`/api/rooms/${room.id}/relays`,
          text && text !== ev.text ? { seq: ev.seq, text } : { seq: ev.seq }) });
    });
    actions.push(" · ", share);
  } else if (mine && ["party", "attorney"].includes(mine.role) && ownSide) {
    const ask = h("button", { type: "button", class: "link relay", text: t("relay.ask") });
    ask.addEventListener("click", async () => {
      try {
        await api.post(`/api/rooms/${room.id}/relays`, { seq: ev.seq });
        ask.remove();
      } catch (err) {
        ask.textContent = err.message || t("control.failed");
      }
    });
    actions.push(" · ", ask);
  }
  return actions;
}

/** A message the mediator hid: mediators see it marked; everyone else a placeholder. */
export function hiddenMessage(ev, room, me) {
  if (mediates(room, me) && ev.text !== undefined) return null; // drawn as usual, marked
  return h("li", { class: "msg system hidden-msg", dataset: { seq: ev.seq, hidden: "1" } },
    h("span", { text: t("control.hide.placeholder") }), " ",
    h("time", { dateTime: ev.at, text: formatTime(ev.at) }));
}

// -- control.* and relay.* events ----------------------------------------------------------------

function settled(room, relayId) {
  for (const e of room.events.values()) {
    if ((e.type === RELAY.SHARED || e.type === RELAY.DECLINED) && e.relay?.id === relayId) return true;
  }
  return false;
}

function nameOf(room, userId) {
  return (room.audience || []).find((m) => m.user_id === userId)?.name || t("chat.someone");
}

/** An li for a control.* or relay.* event, or null for any other event. */
export function controlEvent(ev, room, me) {
  const time = h("time", { dateTime: ev.at, text: formatTime(ev.at) });
  const system = (text) => h("li", { class: "msg system control", dataset: { seq: ev.seq } },
    h("span", { text }), " ", time);
  switch (ev.type) {
    case CONTROL.CAUCUS: return system(ev.on ? t("control.event.caucusOn") : t("control.event.caucusOff"));
    case CONTROL.PAUSED: return system(t("control.event.paused"));
    case CONTROL.RESUMED: return system(t("control.event.resumed"));
    case CONTROL.MUTED:
      return system(t("control.event.muted", { name: nameOf(room, ev.user_id), time: formatTime(ev.until) }));
    case CONTROL.UNMUTED: return system(t("control.event.unmuted", { name: nameOf(room, ev.user_id) }));
    case CONTROL.REMOVED: return system(t("control.event.removed", { name: nameOf(room, ev.user_id) }));
    case CONTROL.READMITTED: return system(t("control.event.readmitted", { name: nameOf(room, ev.user_id) }));
    case CONTROL.HIDDEN: return system(t("control.event.hidden"));
    case RELAY.MESSAGE:
      return h("li", { class: "msg relayed", dataset: { seq: ev.seq, relayId: ev.relay_id } },
        h("span", { class: "meta" },
          h("span", { class: "sender", text: t("relay.relayedBy", { name: ev.by?.name || "" }) }),
          " · ", time),
        h("span", { class: "text" }, linkify(ev.text ?? "")));
    case RELAY.SHARED: return relayLine(ev, room, t("relay.event.shared"));
    case RELAY.DECLINED: return relayLine(ev, room, t("relay.event.declined"));
    case RELAY.ASKED: return relayRequest(ev, room, me, time);
    case RELAY.PROPOSED: return relayRequest(ev, room, me, time);
    default: return null;
  }
}

function relayLine(ev, room, text) {
  return h("li", { class: "msg system relay", dataset: { seq: ev.seq, relayId: ev.relay?.id } },
    h("span", { text }), ev.relay?.text ? h("q", { text: ev.relay.text }) : null, " ",
    h("time", { dateTime: ev.at, text: formatTime(ev.at) }));
}

function relayRequest(ev, room, me, time) {
  const relay = ev.relay || {};
  const mediator = mediates(room, me);
  const asked = ev.type === RELAY.ASKED;
  const heading = asked
    ? (mediator ? t("relay.event.waitingConsent") : t("relay.event.askedYou"))
    : (mediator ? t("relay.event.proposedToYou", { name: ev.by?.name || "" }) : t("relay.event.youProposed"));
  const actions = h("div", { class: "actions relay-actions" });
  const out = h("p", { class: "field-error", attrs: { role: "status" } });
  const li = h("li", { class: "msg system relay-request", dataset: { seq: ev.seq, relayId: relay.id } },
    h("span", { text: heading }), " ", h("q", { text: relay.text || "" }), " ", time, actions, out);
  if (settled(room, relay.id)) return li;
  const url = `/api/relays/${relay.id}`;
  const done = () => actions.remove();
  const button = (text, go, cls = "") => h("button", { type: "button", class: cls, text,
    on: { click: () => go().then(done).catch((err) => { out.textContent = err.message || t("control.failed"); }) } });
  const mySeat = seat(room, me);
  const ofSide = mySeat && ["party", "attorney"].includes(mySeat.role) && mySeat.side === room.side;
  if (asked && ofSide) {
    mount(actions, button(t("relay.confirm"), () => api.post(`${url}/confirm`)),
      button(t("relay.decline"), () => api.post(`${url}/decline`), "secondary"));
  } else if (!asked && mediator) {
    const edit = h("button", { type: "button", class: "secondary", text: t("relay.rephrase") });
    edit.addEventListener("click", () => inlineForm(li, { label: t("relay.shareLabel"),
      submitLabel: t("relay.approve"), value: relay.text || "",
      submit: (text) => api.post(`${url}/approve`, text && text !== relay.text ? { text } : {}).then(done) }));
    mount(actions, button(t("relay.approve"), () => api.post(`${url}/approve`, {})), edit,
      button(t("relay.decline"), () => api.post(`${url}/decline`), "secondary"));
  } else if (asked && mediator) {
    mount(actions, button(t("relay.withdraw"), () => api.post(`${url}/decline`), "secondary"));
  }
  return li;
}

/** Remove the buttons of relay requests that a later event settled (another tab answered). */
export function settleRelays(list, room) {
  for (const el of list.querySelectorAll(".relay-request .relay-actions")) {
    const id = Number(el.closest("li").dataset.relayId);
    if (settled(room, id)) el.remove();
  }
}
