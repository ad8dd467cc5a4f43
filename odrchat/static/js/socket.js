// The single WebSocket: one per tab, carrying every room of every case the user takes part in.
//
// Invariants:
// * Reconnects with exponential backoff and full jitter (a server restart must not bring every
//   browser back in the same instant); `online` and a tab becoming visible reconnect at once.
// * After every (re)connect each room resumes from the last seq this tab holds, so nothing said
//   while we were away is lost; events are kept by seq, so a replay never shows a duplicate.
// * An outgoing message keeps ONE client id for its whole life. Until the server acks it, it is
//   "pending" and is resent with that same id after a reconnect or an ack timeout (the server
//   stores an id once). After MAX_ATTEMPTS unanswered tries, or a refusal, it is "failed" and the
//   user may retry it, still with the same id.

import { CLOSE, CONTROL, E, S, WS_PATH, frames, isStored } from "./wire.js";
import { t } from "./i18n.js";

const BASE_DELAY_MS = 500;
const MAX_DELAY_MS = 30000;
const ACK_TIMEOUT_MS = 10000;
const MAX_ATTEMPTS = 3;
const TYPING_TTL_MS = 8000;
const RESEND_SPACING_MS = 250; // under the server's 5 messages a second (docs/protocol.md)

// What a reader is told for each `error.code` (docs/protocol.md, "Error codes"), in their
// language: the server's `message` is English, so it is shown only for a code this client does
// not know yet. A refusal by the mediator's control of the room says why (`error.block`).
const ERROR_TEXT = Object.freeze({
  [E.BAD_JSON]: "error.badJson",
  [E.BAD_FRAME]: "error.badFrame",
  [E.UNKNOWN_TYPE]: "error.unknownType",
  [E.NOT_FOUND]: "error.notFound",
  [E.FORBIDDEN]: "error.forbidden",
  [E.TOO_LONG]: "error.tooLong",
  [E.RATE_LIMITED]: "error.rateLimited",
  [E.UNAVAILABLE]: "error.unavailable",
  [E.NOT_SUBSCRIBED]: "error.notSubscribed",
  [E.CLIENT_ID_REUSED]: "error.clientIdReused",
});
const BLOCK_TEXT = Object.freeze({
  caucus: "error.blocked.caucus",
  paused: "error.blocked.paused",
  muted: "error.blocked.muted",
  removed: "error.blocked.removed",
});
// A message the server never answered (it is not a wire code: no frame says so).
const NO_ANSWER = "no_answer";

/** The reader's text for an `error` frame (or a failed message's kept {code, block, message}). */
export function errorText(f) {
  if (!f) return t("chat.notSentReason");
  if (typeof f === "string") return f; // kept by an older version of this page
  if (f.code === NO_ANSWER) return t("chat.notDelivered");
  const key = (f.code === E.FORBIDDEN && BLOCK_TEXT[f.block]) || ERROR_TEXT[f.code];
  if (key) return t(key);
  return f.message || t("chat.notSentReason");
}

let counter = 0;
/** A fresh client message id, valid under the protocol's [A-Za-z0-9_.:-]{1,64}. */
export function newClientId() {
  counter += 1;
  const rand = Math.random().toString(36).slice(2, 10);
  return `m-${Date.now().toString(36)}-${rand}-${counter}`;
}

function newRoom(id) {
  return {
    id, caseId: null, kind: null, side: null, title: "", confidentiality: null,
    audience: [], presence: new Set(), writable: false, head: 0, read: 0, unread: 0,
    events: new Map(), lastSeq: null, firstSeq: null, more: true, syncing: false,
    subscribed: false, closed: false, typing: new Map(), readers: new Map(), control: null,
  };
}

export class Connection extends EventTarget {
  constructor({ url } = {}) {
    super();
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    this.url = url || `${scheme}//${location.host}${WS_PATH}`;
    this.ws = null;
    this.user = null;
    this.status = "idle";
    this.attempt = 0;
    this.timer = null;
    this.rooms = new Map();
    this.watched = new Set(); // rooms opened by id (the administrator's reader), not in hello
    this.outbox = new Map();
    this.stopped = true;
    this.onOnline = () => this.reconnectNow();
    this.onOffline = () => this.goOffline();
    this.onVisible = () => {
      if (document.visibilityState === "visible") this.reconnectNow();
    };
  }

  /** Open the socket and keep it open until stop(). */
  start(userId) {
    this.userId = userId;
    this.stopped = false;
    this.restoreOutbox();
    window.addEventListener("online", this.onOnline);
    window.addEventListener("offline", this.onOffline);
    document.addEventListener("visibilitychange", this.onVisible);
    this.connect();
  }

  /** Close for good (logout). */
  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    window.removeEventListener("online", this.onOnline);
    window.removeEventListener("offline", this.onOffline);
    document.removeEventListener("visibilitychange", this.onVisible);
    if (this.ws) this.ws.close(CLOSE.NORMAL, "bye");
    this.ws = null;
    this.rooms.clear();
    this.watched.clear();
    this.outbox.clear();
    this.setStatus("idle");
  }

  setStatus(status, detail = {}) {
    this.status = status;
    this.dispatchEvent(new CustomEvent("status", { detail: { status, ...detail } }));
  }

  emitRoom(room, reason) {
    this.dispatchEvent(new CustomEvent("room", { detail: { room, reason } }));
  }

  connect() {
    clearTimeout(this.timer);
    if (this.stopped) return;
    if (this.ws && this.ws.readyState <= WebSocket.OPEN) return;
    this.setStatus(this.attempt ? "reconnecting" : "connecting");
    const ws = new WebSocket(this.url);
    this.ws = ws;
    ws.addEventListener("message", (ev) => {
      if (this.ws !== ws) return;
      let frame;
      try {
        frame = JSON.parse(ev.data);
      } catch {
        return;
      }
      if (frame && typeof frame.type === "string") this.handle(frame);
    });
    ws.addEventListener("close", (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.onClosed(ev.code);
    });
  }

  reconnectNow() {
    if (this.stopped || (this.ws && this.ws.readyState <= WebSocket.OPEN)) return;
    clearTimeout(this.timer);
    // A little jitter even now: many tabs see the same `online` event.
    this.timer = setTimeout(() => this.connect(), Math.random() * 300);
  }

  goOffline() {
    if (this.stopped) return;
    this.setStatus("offline");
    if (this.ws) {
      const ws = this.ws;
      this.ws = null;
      ws.close(CLOSE.NORMAL, "offline");
      this.onClosed(0);
    }
  }

  onClosed(code, { quiet = false } = {}) {
    for (const room of this.rooms.values()) {
      room.subscribed = false;
      room.syncing = false;
      room.presence.clear();
      room.typing.clear();
    }
    for (const msg of this.outbox.values()) clearTimeout(msg.timer);
    this.dispatchEvent(new CustomEvent("rooms"));
    if (this.stopped) return;
    if (code === CLOSE.UNAUTHENTICATED) {
      this.stopped = true;
      this.setStatus("signed_out");
      return;
    }
    if (quiet) {
      this.connect();
      return;
    }
    if (code === CLOSE.TOO_MANY_SOCKETS) this.attempt = Math.max(this.attempt, 6);
    if (code === CLOSE.BAD_CLIENT) this.attempt = Math.max(this.attempt, 6);
    const immediate = code === CLOSE.RESTARTING;
    const cap = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** this.attempt);
    const delay = immediate ? Math.random() * 1000 : 250 + Math.random() * cap;
    this.attempt += 1;
    if (navigator.onLine === false) {
      // Trying now would only fail: wait for the `online` event, with a slow fallback in case
      // the browser's idea of "offline" is wrong.
      this.setStatus("offline");
      this.timer = setTimeout(() => this.connect(), MAX_DELAY_MS);
      return;
    }
    this.setStatus(code === CLOSE.TOO_MANY_SOCKETS ? "too_many" : "reconnecting",
      { retryAt: Date.now() + delay });
    this.timer = setTimeout(() => this.connect(), delay);
  }

  send(frame) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  // --- incoming frames -------------------------------------------------------------------

  handle(f) {
    if (f.type === S.HELLO) return this.onHello(f);
    if (f.type === S.ROOMS_CHANGED) return this.onRoomsChanged(f);
    const room = f.room !== undefined ? this.rooms.get(f.room) : null;
    if (isStored(f)) return room && this.onStored(room, f);
    switch (f.type) {
      case S.SNAPSHOT: return room && this.onSnapshot(room, f);
      case S.SYNCED:
        if (!room) return;
        room.syncing = false;
        room.lastSeq = Math.max(room.lastSeq ?? 0, f.head);
        room.head = Math.max(room.head, f.head);
        room.more = room.firstSeq !== null && room.firstSeq > 1;
        return this.emitRoom(room, "synced");
      case S.BEHIND:
        if (room) this.send(frames.subscribe(room.id, room.lastSeq ?? f.after));
        return;
      case S.HISTORY: return room && this.onHistory(room, f);
      case S.UPDATED:
        if (!room) return;
        room.writable = f.writable;
        if (f.control) room.control = f.control;
        if (Array.isArray(f.audience)) room.audience = f.audience;
        else this.subscribe(room); // a fresh snapshot says who can see the room now
        return this.emitRoom(room, "updated");
      case S.CLOSED:
        if (!room) return;
        room.closed = true;
        room.subscribed = false;
        room.writable = false;
        return this.emitRoom(room, "closed");
      case S.ACK: return this.onAck(f);
      case S.TYPING: return room && this.onTyping(room, f);
      case S.PRESENCE:
        if (!room) return;
        if (f.online) room.presence.add(f.user_id);
        else room.presence.delete(f.user_id);
        return this.emitRoom(room, "presence");
      case S.READ: return room && this.onRead(room, f);
      case S.FLAGGED:
        return this.dispatchEvent(new CustomEvent("flagged", { detail: f }));
      case S.ERROR: return this.onError(f);
      default: return undefined; // unknown types are ignored (protocol.md, Versioning)
    }
  }

  onHello(f) {
    this.user = f.user;
    this.attempt = 0;
    this.applyRooms(f.rooms || []);
    this.setStatus("online");
    // Every room is subscribed: unread badges and the tab title need all of them.
    for (const room of this.rooms.values()) this.subscribe(room);
    this.dispatchEvent(new CustomEvent("rooms"));
    this.flushOutbox();
  }

  /** A case of ours changed: the complete new room list. New rooms are subscribed at once. */
  onRoomsChanged(f) {
    const before = new Set(this.rooms.keys());
    const gone = this.applyRooms(f.rooms || []);
    for (const room of gone) {
      room.closed = true;
      this.emitRoom(room, "closed");
    }
    for (const room of this.rooms.values()) {
      if (!before.has(room.id) || (!room.subscribed && !room.syncing)) this.subscribe(room);
    }
    this.dispatchEvent(new CustomEvent("rooms"));
  }

  /** Merge a hello-shaped room list; rooms no longer listed are dropped and returned. */
  applyRooms(list) {
    const seen = new Set();
    for (const r of list) {
      seen.add(r.room);
      let room = this.rooms.get(r.room);
      if (!room) {
        room = newRoom(r.room);
        this.rooms.set(r.room, room);
      }
      Object.assign(room, {
        caseId: r.case_id, kind: r.kind, side: r.side, title: r.title,
        writable: r.writable, head: Math.max(room.head, r.head), closed: false,
      });
    }
    const gone = [];
    for (const [id, room] of [...this.rooms]) {
      if (seen.has(id) || this.watched.has(id)) continue;
      this.rooms.delete(id);
      gone.push(room);
    }
    return gone;
  }

  /**
   * Read a room that is not in hello by its id (administrators: hello lists no rooms for them;
   * the server audits every such view). It stays subscribed across reconnects until unwatch().
   */
  watch(roomId) {
    this.watched.add(roomId);
    let room = this.rooms.get(roomId);
    if (!room) {
      room = newRoom(roomId);
      this.rooms.set(roomId, room);
    }
    if (!room.subscribed && !room.syncing) this.subscribe(room);
    return room;
  }

  /** Stop reading a watched room. */
  unwatch(roomId) {
    if (!this.watched.delete(roomId)) return;
    this.send(frames.unsubscribe(roomId));
    this.rooms.delete(roomId);
  }

  subscribe(room) {
    room.syncing = true;
    if (this.send(frames.subscribe(room.id, room.lastSeq, `sub-${room.id}`))) room.subscribed = true;
  }

  onSnapshot(room, f) {
    Object.assign(room, {
      caseId: f.case_id, kind: f.kind, side: f.side, title: f.title,
      confidentiality: f.confidentiality, audience: f.audience || [],
      presence: new Set(f.presence || []), head: f.head, read: f.read ?? 0,
      unread: f.unread ?? 0, writable: f.writable, control: f.control ?? null,
    });
    this.emitRoom(room, "snapshot");
  }

  onStored(room, f) {
    if (room.events.has(f.seq)) return; // a replay of something we hold: never shown twice
    room.events.set(f.seq, f);
    if (f.type === CONTROL.HIDDEN) {
      // The mediator hid a message we may hold: mark it (the chat draws it again).
      const target = room.events.get(f.target_seq);
      if (target) room.events.set(f.target_seq, { ...target, hidden: true });
    }
    if (room.lastSeq !== null && f.seq > room.lastSeq + 1 && !room.syncing) {
      // A gap should not happen; resume from what we hold rather than show a hole.
      this.subscribe(room);
    }
    room.lastSeq = Math.max(room.lastSeq ?? 0, f.seq);
    room.firstSeq = room.firstSeq === null ? f.seq : Math.min(room.firstSeq, f.seq);
    room.head = Math.max(room.head, f.seq);
    if (room.firstSeq <= 1) room.more = false;
    const mine = f.sender && f.sender.id === this.user?.id;
    if (mine && f.msg_id) {
      const out = this.outbox.get(f.msg_id);
      if (out) this.settle(out, f.seq);
    }
    if (f.sender) room.typing.delete(f.sender.id);
    // During a resume the snapshot's unread already counts replayed events.
    if (!room.syncing && !mine && f.seq > room.read) room.unread += 1;
    this.emitRoom(room, "event");
  }

  onHistory(room, f) {
    for (const ev of f.events || []) {
      if (!room.events.has(ev.seq)) room.events.set(ev.seq, ev);
      room.firstSeq = room.firstSeq === null ? ev.seq : Math.min(room.firstSeq, ev.seq);
    }
    room.more = Boolean(f.more) && room.firstSeq > 1;
    this.emitRoom(room, "history");
  }

  onTyping(room, f) {
    if (f.user_id === this.user?.id) return;
    if (f.on) room.typing.set(f.user_id, Date.now() + TYPING_TTL_MS);
    else room.typing.delete(f.user_id);
    this.emitRoom(room, "typing");
    // A lost "off" frame must not leave "is typing" on screen forever.
    setTimeout(() => {
      const until = room.typing.get(f.user_id);
      if (until && until <= Date.now()) {
        room.typing.delete(f.user_id);
        this.emitRoom(room, "typing");
      }
    }, TYPING_TTL_MS + 50);
  }

  onRead(room, f) {
    if (f.user_id === this.user?.id) {
      room.read = Math.max(room.read, f.seq);
      room.unread = this.countUnread(room);
    } else {
      room.readers.set(f.user_id, Math.max(room.readers.get(f.user_id) ?? 0, f.seq));
    }
    this.emitRoom(room, "read");
  }

  countUnread(room) {
    let n = 0;
    for (const ev of room.events.values()) {
      if (ev.seq > room.read && ev.sender?.id !== this.user?.id) n += 1;
    }
    return n;
  }

  onAck(f) {
    const out = this.outbox.get(f.re);
    if (out) this.settle(out, f.seq);
  }

  onError(f) {
    const out = f.re ? this.outbox.get(f.re) : null;
    if (out && f.code === E.RATE_LIMITED) {
      this.holdOutbox(f.retry_after_ms || 1000);
      return;
    }
    if (out) {
      clearTimeout(out.timer);
      if (f.retryable || f.code === E.UNAVAILABLE) {
        out.timer = setTimeout(() => this.transmit(out), f.retry_after_ms || 1000 + Math.random() * 2000);
        return;
      }
      out.state = "failed";
      // Kept as the code, not the text: the text follows a change of language.
      out.error = { code: f.code, block: f.block || null, message: f.message || "" };
      this.saveOutbox();
      const room = this.rooms.get(out.room);
      if (room) this.emitRoom(room, "outbox");
      return;
    }
    this.dispatchEvent(new CustomEvent("error", { detail: f }));
  }

  // --- outgoing messages -----------------------------------------------------------------

  /** Queue `text` for `roomId`; returns the client id it keeps until stored. */
  sendMessage(roomId, text) {
    const out = { id: newClientId(), room: roomId, text, state: "pending", attempts: 0,
                  at: new Date().toISOString(), error: null, timer: null };
    this.outbox.set(out.id, out);
    this.saveOutbox();
    this.transmit(out);
    const room = this.rooms.get(roomId);
    if (room) this.emitRoom(room, "outbox");
    return out.id;
  }

  /** Try a failed message again, with the same client id. */
  retry(clientId) {
    const out = this.outbox.get(clientId);
    if (!out) return;
    out.state = "pending";
    out.attempts = 0;
    out.error = null;
    this.transmit(out);
    const room = this.rooms.get(out.room);
    if (room) this.emitRoom(room, "outbox");
  }

  /** Give up on a failed message. */
  discard(clientId) {
    const out = this.outbox.get(clientId);
    if (!out) return;
    clearTimeout(out.timer);
    this.outbox.delete(clientId);
    this.saveOutbox();
    const room = this.rooms.get(out.room);
    if (room) this.emitRoom(room, "outbox");
  }

  transmit(out) {
    clearTimeout(out.timer);
    if (out.state !== "pending") return;
    if (!this.send(frames.send(out.id, out.room, out.text))) return; // resent on the next hello
    out.attempts += 1;
    out.timer = setTimeout(() => {
      if (out.state !== "pending") return;
      if (out.attempts >= MAX_ATTEMPTS) {
        out.state = "failed";
        out.error = { code: NO_ANSWER };
        const room = this.rooms.get(out.room);
        if (room) this.emitRoom(room, "outbox");
        return;
      }
      // No answer: the socket is probably dead even if it looks open. Start over; the
      // message goes again, with the same id, once the new socket says hello.
      if (this.ws) {
        const ws = this.ws;
        this.ws = null;
        ws.close(CLOSE.NORMAL, "no ack");
        this.onClosed(0);
      }
    }, ACK_TIMEOUT_MS);
  }

  settle(out, seq) {
    clearTimeout(out.timer);
    this.outbox.delete(out.id);
    this.saveOutbox();
    out.state = "sent";
    out.seq = seq;
  }

  /**
   * Told to wait: the server answers only the first message it refuses and drops the ones
   * sent after it unanswered, so every message not acked yet goes again after the wait,
   * spaced under the limit (docs/protocol.md, "Rate limits").
   */
  holdOutbox(ms) {
    let i = 0;
    for (const out of this.outbox.values()) {
      if (out.state !== "pending") continue;
      clearTimeout(out.timer);
      out.timer = setTimeout(() => this.transmit(out), ms + i * RESEND_SPACING_MS);
      i += 1;
    }
  }

  flushOutbox() {
    for (const out of this.outbox.values()) if (out.state === "pending") this.transmit(out);
  }

  /** The not-yet-stored messages of a room, oldest first. */
  pendingFor(roomId) {
    return [...this.outbox.values()].filter((o) => o.room === roomId);
  }

  storageKey() {
    return `odr-outbox-${this.userId}`;
  }

  saveOutbox() {
    try {
      const list = [...this.outbox.values()].map(({ id, room, text, state, at, error }) =>
        ({ id, room, text, state, at, error }));
      sessionStorage.setItem(this.storageKey(), JSON.stringify(list));
    } catch {
      // Storage may be full or disabled; the outbox still lives in memory.
    }
  }

  restoreOutbox() {
    try {
      const list = JSON.parse(sessionStorage.getItem(this.storageKey()) || "[]");
      for (const o of list) this.outbox.set(o.id, { ...o, attempts: 0, timer: null });
    } catch {
      // A corrupt entry is dropped rather than blocking the app.
    }
  }

  // --- other client frames -----------------------------------------------------------------

  typing(roomId, on) {
    this.send(frames.typing(roomId, on));
  }

  /** Tell the server (and the room) that everything up to the newest event is read. */
  markRead(roomId) {
    const room = this.rooms.get(roomId);
    if (!room || room.lastSeq === null || !room.subscribed) return;
    if (room.lastSeq <= room.read && room.unread === 0) return;
    room.read = Math.max(room.read, room.lastSeq);
    room.unread = 0;
    this.send(frames.readMark(roomId, room.read));
    this.emitRoom(room, "read");
  }

  loadOlder(roomId) {
    const room = this.rooms.get(roomId);
    if (!room || !room.firstSeq || room.firstSeq <= 1) return;
    this.send(frames.history(roomId, room.firstSeq, 50, `hist-${roomId}-${room.firstSeq}`));
  }

  /** Flag a message for CCR administration (mediators); returns the frame id, or null if offline. */
  flag(roomId, seq, reason) {
    const id = newClientId();
    return this.send(frames.flag(id, roomId, seq, reason)) ? id : null;
  }

  totalUnread() {
    let n = 0;
    for (const room of this.rooms.values()) n += room.unread;
    return n;
  }

  roomsOfCase(caseId) {
    return [...this.rooms.values()].filter((r) => r.caseId === caseId);
  }
}

/** The tab's one connection. */
export const connection = new Connection();
