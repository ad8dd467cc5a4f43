// The WebSocket protocol's names: the ONE place in the browser that mirrors docs/protocol.md.
// If the document changes, this file changes; nothing else spells a frame type or a code.

export const PROTOCOL_VERSION = 1;
export const WS_PATH = "/ws";
export const MAX_TEXT = 4000;
export const CLIENT_ID_RE = /^[A-Za-z0-9_.:-]{1,64}$/;

/** Frames the client sends. */
export const C = Object.freeze({
  SUBSCRIBE: "room.subscribe",
  UNSUBSCRIBE: "room.unsubscribe",
  HISTORY: "room.history",
  SEND: "chat.send",
  TYPING: "typing",
  READ_MARK: "read.mark",
  FLAG: "message.flag",
});

/** Frames the server sends. */
export const S = Object.freeze({
  HELLO: "hello",
  SNAPSHOT: "room.snapshot",
  SYNCED: "room.synced",
  BEHIND: "room.behind",
  UNSUBSCRIBED: "room.unsubscribed",
  UPDATED: "room.updated",
  CLOSED: "room.closed",
  HISTORY: "room.history",
  MESSAGE: "chat.message",
  ACK: "chat.ack",
  TYPING: "typing",
  PRESENCE: "presence",
  READ: "read",
  FLAGGED: "message.flagged",
  ROOMS_CHANGED: "rooms.changed",
  ERROR: "error",
});

/** Case events (stored in the joint room, each carrying the case event as `event`). */
export const CASE = Object.freeze({
  OPENED: "case.opened",
  JOINED: "case.joined",
  DECLINED: "case.declined",
  CONSENTED: "case.consented",
  READY_FOR_MEDIATOR: "case.ready_for_mediator",
  MEDIATOR_ASSIGNED: "case.mediator_assigned",
  PARTICIPANT_ADDED: "case.participant_added",
  PARTICIPANT_REMOVED: "case.participant_removed",
  OBSERVER_APPROVED: "case.observer_approved",
  CLOSED: "case.closed",
  // Stored in the asking side's private room, not the joint room.
  HELP_REQUESTED: "case.help_requested",
});

/** Offer events (stored in the joint room, each carrying the offer as JSON). */
export const OFFER = Object.freeze({
  MADE: "offer.made",
  ACCEPTED: "offer.accepted",
  REJECTED: "offer.rejected",
  COUNTERED: "offer.countered",
  WITHDRAWN: "offer.withdrawn",
  EXPIRED: "offer.expired",
});

/** Agreement events (stored in the joint room, each carrying the agreement as JSON). */
export const AGREEMENT = Object.freeze({
  DRAFTED: "agreement.drafted",
  UPDATED: "agreement.updated",
  SIGNED: "agreement.signed",
  FINAL: "agreement.final",
  FILED: "agreement.filed",
  PAYMENT: "agreement.payment",
  PERFORMED: "agreement.performed",
});

/** Stored (sequenced) event families besides chat.message (documents: in the room shared in). */
const OFFER_PREFIX = "offer.";
export const STORED_PREFIXES = Object.freeze([
  "case.",
  OFFER_PREFIX,
  "agreement.",
  "document.",
  "control.",
  "relay.",
]);

/** True for the stored events of an offer (offer.made, offer.accepted, ...). */
export function isOfferEvent(frame) {
  return frame.type.startsWith(OFFER_PREFIX);
}

/** True for frames that are stored events of a room (they carry `seq` and `at`). */
export function isStored(frame) {
  return frame.type === S.MESSAGE || STORED_PREFIXES.some((p) => frame.type.startsWith(p));
}

/** error.code values. */
export const E = Object.freeze({
  BAD_JSON: "bad_json",
  BAD_FRAME: "bad_frame",
  UNKNOWN_TYPE: "unknown_type",
  NOT_FOUND: "not_found",
  FORBIDDEN: "forbidden",
  TOO_LONG: "too_long",
  RATE_LIMITED: "rate_limited",
  UNAVAILABLE: "unavailable",
  NOT_SUBSCRIBED: "not_subscribed",
  CLIENT_ID_REUSED: "client_id_reused",
});

/** WebSocket close codes and what the client does about each. */
export const CLOSE = Object.freeze({
  NORMAL: 1000,
  TOO_BIG: 1009,
  RESTARTING: 1012,
  BAD_CLIENT: 4400,
  UNAUTHENTICATED: 4401,
  TOO_SLOW: 4408,
  TOO_MANY_SOCKETS: 4429,
});

/** Room kinds as in room.snapshot.kind. */
export const ROOM = Object.freeze({ JOINT: "joint", PRIVATE: "private", MEDIATORS: "mediators" });

/** Frame builders: the client never assembles a frame by hand elsewhere. */
export const frames = {
  subscribe: (room, after, id) =>
    after === null || after === undefined
      ? { type: C.SUBSCRIBE, room, id }
      : { type: C.SUBSCRIBE, room, after, id },
  unsubscribe: (room) => ({ type: C.UNSUBSCRIBE, room }),
  history: (room, before, limit = 50, id) => ({ type: C.HISTORY, room, before, limit, id }),
  send: (id, room, text) => ({ type: C.SEND, id, room, text }),
  typing: (room, on) => ({ type: C.TYPING, room, on }),
  readMark: (room, seq) => ({ type: C.READ_MARK, room, seq }),
  flag: (id, room, seq, reason) => ({ type: C.FLAG, id, room, seq, reason }),
};

/** A file shared in a room (stored like a message; its bytes come from `document.url`). */
export const DOCUMENT = Object.freeze({ SHARED: "document.shared" });

/** The mediator's control of the rooms (stored: caucus, pause, mutes and removals in the joint
 * room; a hidden message's notice in its own room). Each carries `by` (null: the system). */
export const CONTROL = Object.freeze({
  CAUCUS: "control.caucus",
  PAUSED: "control.paused",
  RESUMED: "control.resumed",
  MUTED: "control.muted",
  UNMUTED: "control.unmuted",
  REMOVED: "control.removed",
  READMITTED: "control.readmitted",
  HIDDEN: "control.hidden",
});

/** Relays: in the source private room (`relay` {id, status, ...}), and the copy the other side
 * reads (`relay.message`: relay_id, text, from_side, by). */
export const RELAY = Object.freeze({
  PROPOSED: "relay.proposed",
  ASKED: "relay.asked",
  SHARED: "relay.shared",
  DECLINED: "relay.declined",
  MESSAGE: "relay.message",
});

/** Why a room is read-only for me now (room.snapshot.control.block). */
export const BLOCK = Object.freeze({
  CAUCUS: "caucus",
  PAUSED: "paused",
  MUTED: "muted",
  REMOVED: "removed",
});
