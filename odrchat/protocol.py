"""The wire: JSON frames to commands, events to JSON. The only module that knows frame shapes.

docs/protocol.md is the contract; `PROTOCOL_VERSION` is `hello.v`. Parsing never raises anything
but `FrameError`, whatever bytes arrive (bad JSON, wrong types, lone surrogates, deep nesting).
Every server frame is built by a function below and comes out as JSON text, serialised once and
shared by every recipient; tests/test_protocol_frames.py fails if another module builds one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

PROTOCOL_VERSION = 1
MAX_TEXT = 4000
MAX_REASON = 500
RESUME_PAGE = 500
LATEST_PAGE = 50
# Room ids and seqs are 32-bit integer columns: anything larger is refused here, because
# PostgreSQL would reject it as a query argument deep inside a handler.
MAX_SEQ = 2**31 - 1
_ID = re.compile(r"^[A-Za-z0-9_.:\-]{1,64}$")


class FrameError(Exception):
    """A client frame that cannot be understood. `code` is an error code of docs/protocol.md."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        re_id: str | None = None,
        fields: dict[str, str] | None = None,
        block: str | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.re_id = re_id
        self.fields = fields or {}
        self.block = block


@dataclass(frozen=True, slots=True)
class Subscribe:
    id: str | None
    room: int
    after: int | None


@dataclass(frozen=True, slots=True)
class Unsubscribe:
    id: str | None
    room: int


@dataclass(frozen=True, slots=True)
class History:
    id: str | None
    room: int
    before: int
    limit: int


@dataclass(frozen=True, slots=True)
class SendChat:
    id: str
    room: int
    text: str


@dataclass(frozen=True, slots=True)
class Typing:
    id: str | None
    room: int
    on: bool


@dataclass(frozen=True, slots=True)
class MarkRead:
    id: str | None
    room: int
    seq: int


@dataclass(frozen=True, slots=True)
class Flag:
    id: str | None
    room: int
    seq: int
    reason: str


ClientFrame = Subscribe | Unsubscribe | History | SendChat | Typing | MarkRead | Flag


class _Fields:
    """Collects per-field problems so one error frame names them all."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.errors: dict[str, str] = {}

    def number(
        self,
        name: str,
        *,
        minimum: int,
        maximum: int = MAX_SEQ,
        required: bool = True,
        default: int | None = None,
    ) -> Any:
        value = self.data.get(name)
        if value is None:
            if required:
                self.errors[name] = "is required"
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            self.errors[name] = "must be a whole number"
        elif not minimum <= value <= maximum:
            self.errors[name] = f"must be between {minimum} and {maximum}"
        else:
            return value
        return default

    def text(self, name: str, *, limit: int) -> str:
        value = self.data.get(name)
        if not isinstance(value, str):
            self.errors[name] = "is required" if value is None else "must be a string"
            return ""
        if len(value) > limit:
            self.errors[name] = f"must be at most {limit} characters"
            return ""
        if not value.strip():
            self.errors[name] = "must not be empty"
            return ""
        # NUL: PostgreSQL text columns cannot hold it (a flag reason would fail to store).
        if "\x00" in value or _has_lone_surrogate(value):
            self.errors[name] = "contains invalid characters"
            return ""
        return value

    def bool(self, name: str) -> bool:
        value = self.data.get(name)
        if not isinstance(value, bool):
            self.errors[name] = "must be true or false"
            return False
        return value


def parse(raw: str | bytes | None) -> ClientFrame:
    """Turn one text frame into a command, or raise FrameError."""
    if raw is None or isinstance(raw, bytes):
        raise FrameError("bad_json", "Frames must be JSON text, not binary.")
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise FrameError("bad_json", "The frame is not valid JSON.") from None
    if not isinstance(data, dict):
        raise FrameError("bad_json", "A frame must be a JSON object.")
    frame_id = data.get("id")
    re_id = frame_id if isinstance(frame_id, str) and _ID.match(frame_id) else None
    if frame_id is not None and re_id is None:
        raise FrameError(
            "bad_frame", "Invalid frame id.", fields={"id": "must be 1-64 of A-Z a-z 0-9 _ . : -"}
        )
    kind = data.get("type")
    parser = _PARSERS.get(kind) if isinstance(kind, str) else None
    if parser is None:
        raise FrameError("unknown_type", "Unknown frame type.", re_id=re_id)
    f = _Fields(data)
    frame: ClientFrame = parser(f, re_id)
    if f.errors:
        code = (
            "too_long"
            if any("at most" in v for k, v in f.errors.items() if k == "text")
            else "bad_frame"
        )
        raise FrameError(code, "Some fields need attention.", re_id=re_id, fields=f.errors)
    return frame


def _subscribe(f: _Fields, re_id: str | None) -> Subscribe:
    return Subscribe(
        re_id, f.number("room", minimum=1), f.number("after", minimum=0, required=False)
    )


def _unsubscribe(f: _Fields, re_id: str | None) -> Unsubscribe:
    return Unsubscribe(re_id, f.number("room", minimum=1))


def _history(f: _Fields, re_id: str | None) -> History:
    return History(
        re_id,
        f.number("room", minimum=1),
        f.number("before", minimum=1),
        f.number("limit", minimum=1, maximum=100, required=False, default=LATEST_PAGE),
    )


def _send(f: _Fields, re_id: str | None) -> SendChat:
    if re_id is None:
        f.errors["id"] = "is required (the client message id)"
    return SendChat(re_id or "", f.number("room", minimum=1), f.text("text", limit=MAX_TEXT))


def _typing(f: _Fields, re_id: str | None) -> Typing:
    return Typing(re_id, f.number("room", minimum=1), f.bool("on"))


def _read(f: _Fields, re_id: str | None) -> MarkRead:
    return MarkRead(re_id, f.number("room", minimum=1), f.number("seq", minimum=0))


def _flag(f: _Fields, re_id: str | None) -> Flag:
    return Flag(
        re_id,
        f.number("room", minimum=1),
        f.number("seq", minimum=1),
        f.text("reason", limit=MAX_REASON),
    )


_PARSERS: dict[str, Callable[[_Fields, str | None], ClientFrame]] = {
    "room.subscribe": _subscribe,
    "room.unsubscribe": _unsubscribe,
    "room.history": _history,
    "chat.send": _send,
    "typing": _typing,
    "read.mark": _read,
    "message.flag": _flag,
}
CLIENT_TYPES = frozenset(_PARSERS)


def _has_lone_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def dump(frame: Mapping[str, Any]) -> str:
    """Serialise a server frame (once per message, shared by every recipient)."""
    return json.dumps(frame, ensure_ascii=False, separators=(",", ":"))


# -- server frames ------------------------------------------------------------------------------


class Stored(Protocol):
    """A stored room event as the wire needs it (rooms.log.StoredEvent is one)."""

    @property
    def room_id(self) -> int: ...
    @property
    def seq(self) -> int: ...
    @property
    def type(self) -> str: ...
    @property
    def at(self) -> datetime: ...
    @property
    def body(self) -> Mapping[str, Any]: ...


def event_frame(ev: Stored, hidden: str | None = None) -> dict[str, Any]:
    """A stored event as a frame object (also an element of `room.history.events`).

    `hidden` is for a message the mediator hid: "mark" (mediators, administrators) adds
    `hidden: true`; "omit" (everyone else) sends only its place in the room: type, room, seq,
    at and `hidden: true`, without its text or sender."""
    head = {"type": ev.type, "room": ev.room_id, "seq": ev.seq, "at": ev.at.isoformat()}
    if hidden == "omit":
        return {**head, "hidden": True}
    if hidden == "mark":
        return {**head, **ev.body, "hidden": True}
    return {**head, **ev.body}


def event(ev: Stored, hidden: str | None = None) -> str:
    """A stored event: `chat.message`, `case.*`, `offer.*`, `agreement.*`, `document.shared`,
    `control.*`, `relay.*`."""
    return dump(event_frame(ev, hidden))


def _with_re(frame: dict[str, Any], re_id: str | None) -> dict[str, Any]:
    if re_id is not None:
        frame["re"] = re_id
    return frame


def hello(user_id: int, name: str, rooms: Sequence[Mapping[str, Any]]) -> str:
    """The first frame on every socket; `rooms` as `RoomAccess.describe` gives them."""
    user = {"id": user_id, "name": name}
    return dump({"type": "hello", "v": PROTOCOL_VERSION, "user": user, "rooms": rooms})


def rooms_changed(rooms: Sequence[Mapping[str, Any]]) -> str:
    return dump({"type": "rooms.changed", "rooms": rooms})


def snapshot(
    *,
    re_id: str | None,
    room: int,
    case_id: int,
    kind: str,
    side: str | None,
    title: str,
    confidentiality: str,
    audience: Sequence[Mapping[str, Any]],
    presence: Sequence[int],
    head: int,
    read: int,
    unread: int,
    writable: bool,
    control: Mapping[str, Any],
) -> str:
    """`room.snapshot`: the first frame of every subscription's answer."""
    frame = {
        "type": "room.snapshot",
        "room": room,
        "case_id": case_id,
        "kind": kind,
        "side": side,
        "title": title,
        "confidentiality": confidentiality,
        "audience": audience,
        "presence": presence,
        "head": head,
        "read": read,
        "unread": unread,
        "writable": writable,
        "control": control,
    }
    return dump(_with_re(frame, re_id))


def synced(room: int, head: int) -> str:
    return dump({"type": "room.synced", "room": room, "head": head})


def behind(room: int, after: int, head: int) -> str:
    return dump({"type": "room.behind", "room": room, "after": after, "head": head})


def unsubscribed(re_id: str | None, room: int) -> str:
    return dump({"type": "room.unsubscribed", "re": re_id, "room": room})


def updated(
    room: int,
    writable: bool,
    audience: Sequence[Mapping[str, Any]],
    control: Mapping[str, Any],
) -> str:
    """`room.updated`: access, audience or the mediator's control of the room changed."""
    return dump(
        {
            "type": "room.updated",
            "room": room,
            "writable": writable,
            "audience": audience,
            "control": control,
        }
    )


def closed(room: int, reason: str) -> str:
    return dump({"type": "room.closed", "room": room, "reason": reason})


def history(
    re_id: str | None,
    room: int,
    events: Sequence[Stored],
    more: bool,
    hidden: Callable[[Stored], str | None] = lambda e: None,
) -> str:
    """`room.history`; `hidden` says how to send each event (see `event_frame`)."""
    return dump(
        {
            "type": "room.history",
            "re": re_id,
            "room": room,
            "events": [event_frame(e, hidden(e)) for e in events],
            "more": more,
        }
    )


def ack(re_id: str, room: int, seq: int, at: datetime, duplicate: bool) -> str:
    """`chat.ack`, sent only once the message is stored."""
    return dump(
        {
            "type": "chat.ack",
            "re": re_id,
            "room": room,
            "seq": seq,
            "at": at.isoformat(),
            "duplicate": duplicate,
        }
    )


def typing(room: int, user_id: int, on: bool) -> str:
    return dump({"type": "typing", "room": room, "user_id": user_id, "on": on})


def presence(room: int, user_id: int, online: bool) -> str:
    return dump({"type": "presence", "room": room, "user_id": user_id, "online": online})


def read(room: int, user_id: int, seq: int) -> str:
    return dump({"type": "read", "room": room, "user_id": user_id, "seq": seq})


def flagged(re_id: str | None, room: int, seq: int) -> str:
    return dump({"type": "message.flagged", "re": re_id, "room": room, "seq": seq})


def valid_id(value: str) -> bool:
    """Whether a client-chosen id (frame id, chat client id, upload id) is well formed."""
    return bool(_ID.match(value))


def document_shared(
    *,
    document_id: int,
    name: str,
    size: int,
    content_type: str,
    sha256: str,
    caption: str,
    sender_id: int,
    sender_name: str,
    role: str,
    side: str | None,
) -> dict[str, Any]:
    """The stored body of a `document.shared` event (the frame adds type, room, seq and at)."""
    return {
        "document": {
            "id": document_id,
            "name": name,
            "size": size,
            "content_type": content_type,
            "sha256": sha256,
            "caption": caption,
            "url": f"/api/documents/{document_id}/download",
        },
        "sender": {"id": sender_id, "name": sender_name, "role": role, "side": side},
    }


def person(user_id: int, name: str, role: str, side: str | None = None) -> dict[str, Any]:
    """Who did something, as stored events name them (`sender`, `by`)."""
    return {"id": user_id, "name": name, "role": role, "side": side}


def control_body(by: Mapping[str, Any] | None, **fields: Any) -> dict[str, Any]:
    """The stored body of a `control.*` event: what changed and the mediator who changed it
    (`by` is null when the system switched caucus mode on). Never a reason."""
    return {**fields, "by": by}


def relay_body(relay_id: int, status: str, by: Mapping[str, Any], **fields: Any) -> dict[str, Any]:
    """The stored body of a `relay.*` event in the source private room (`relay.proposed`,
    `relay.asked`, `relay.shared`, `relay.declined`)."""
    return {"relay": {"id": relay_id, "status": status, **fields}, "by": by}


def relayed(relay_id: int, text: str, from_side: str, by: Mapping[str, Any]) -> dict[str, Any]:
    """The stored body of a `relay.message`: the copy the other side reads, marked as relayed
    by the mediator. Only the relay id links it to its source; nothing else of that room."""
    return {"relay_id": relay_id, "text": text, "from_side": from_side, "by": by}


# `error.code` values (docs/protocol.md, "Error codes"). The browser shows its own catalog's
# text for each (static/js/socket.js, errorText) in the reader's language, so a new code needs
# its catalog entries too (tests/static/test_error_texts.py); `message` is the English fallback.
ERROR_CODES = frozenset(
    {
        "bad_json",
        "bad_frame",
        "unknown_type",
        "not_found",
        "forbidden",
        "too_long",
        "rate_limited",
        "unavailable",
        "not_subscribed",
        "client_id_reused",
    }
)
# `error.block`: why a `chat.send` or `typing` is refused `forbidden` by the mediator's control
# of the room (the values of `room.snapshot.control.block`).
BLOCKS = frozenset({"caucus", "paused", "muted", "removed"})


def error(
    code: str,
    message: str,
    *,
    re_id: str | None = None,
    fields: dict[str, str] | None = None,
    retryable: bool = False,
    retry_after_ms: int | None = None,
    block: str | None = None,
) -> str:
    """An `error` frame. An unknown `code` or `block` raises: a client could not word it."""
    if code not in ERROR_CODES:
        raise ValueError(f"unknown error code {code!r}")
    if block is not None and block not in BLOCKS:
        raise ValueError(f"unknown block {block!r}")
    frame: dict[str, Any] = {"type": "error", "code": code, "message": message}
    if re_id is not None:
        frame["re"] = re_id
    if block is not None:
        frame["block"] = block
    if fields:
        frame["fields"] = fields
    if retryable:
        frame["retryable"] = True
    if retry_after_ms is not None:
        frame["retry_after_ms"] = retry_after_ms
    return dump(frame)


# The server's frame types besides stored events (docs/protocol.md, "Replies and live state").
SERVER_TYPES = frozenset(
    {
        "hello",
        "rooms.changed",
        "room.snapshot",
        "room.synced",
        "room.behind",
        "room.unsubscribed",
        "room.updated",
        "room.closed",
        "room.history",
        "chat.ack",
        "typing",
        "presence",
        "read",
        "message.flagged",
        "error",
    }
)
# Stored event families (their types come from the domain: case.opened, offer.made, ...).
STORED_PREFIXES = ("chat.", "case.", "offer.", "agreement.", "document.", "control.", "relay.")


# Close codes (docs/protocol.md).
CLOSE_BAD_CLIENT = 4400
CLOSE_UNAUTHENTICATED = 4401
CLOSE_SLOW = 4408
CLOSE_TOO_MANY = 4429
CLOSE_SERVER_ERROR = 1011
CLOSE_RESTART = 1012
