"""The mediator's control of a case's rooms: caucus-only mode, pause, mutes, removal, hiding.

Pure rules (the standard library and the other pure modules only). One `ControlState` per case;
`apply(state, command, actor, now)` returns the new state and the events it caused, or raises
`ControlError` and changes nothing.

Rules:
- Only the mediator and the co-mediator control the rooms. The system actor (a screening that
  flagged a safety concern) may switch caucus-only mode on, and only on.
- Caucus-only ("shuttle") mode: parties and attorneys read the joint room but do not write in it;
  offers and agreement events still appear there, and the mediator talks to each side in its
  private room. Switched on because of a safety concern, it stays on until a mediator switches
  it off giving a reason (the reason goes to the audit log, never into an event).
- Pause: nobody but the mediators writes in the joint room until it is resumed.
- Mute: one party or attorney may not write in the joint room until a time (at most a day);
  the mute ends by itself then, or earlier when the mediator lifts it. Their private room with
  the mediator stays open.
- Removal: a party or attorney loses the joint room (read and write) until readmitted; their
  private room with the mediator stays. The reason goes to the audit log.
- Hiding: a chat message stays in the record but the parties no longer see it; mediators see it
  marked hidden, and only an administrator's export shows it. A hidden message stays hidden.
- Events say what changed and who did it; they never carry a reason or why caucus mode was
  forced (the other side must not learn that someone reported a safety concern).

Ordering across workers: each worker applies a change when it hears of it (within
milliseconds), and the store checks a party's or attorney's joint-room message once more under
the room's lock (rooms/guard.py), which the change's event also takes; so a message another
worker let through just before it heard of a pause is refused, never stored after the pause.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TypeAlias

from odrchat.cases.roles import Actor, Role

MAX_MUTE = timedelta(hours=24)
SYSTEM_USER_ID = 0  # odrchat.cases.machine.SYSTEM_USER_ID: the system actor
_NEUTRALS = frozenset({Role.MEDIATOR, Role.CO_MEDIATOR})
_TARGETS = frozenset({Role.PARTY, Role.ATTORNEY})


def N_(message: str) -> str:
    """Marks a catalog text (odrchat.i18n extracts every N_ call); this module stays pure."""
    return message


class ControlError(Exception):
    """An illegal move: `code` maps to an HTTP status in odrchat.errors."""

    def __init__(self, code: str, message: str, **params: object) -> None:
        super().__init__(f"{code}: {message.format(**params) if params else message}")
        self.code = code
        self.message = message  # the catalog's msgid; `params` fill its {names}
        self.params = params


@dataclass(frozen=True, slots=True)
class ControlState:
    """What the mediator has set for one case's rooms."""

    caucus: bool = False
    safety: bool = False  # caucus mode forced on by a safety concern
    paused: bool = False
    muted: tuple[tuple[int, datetime], ...] = ()  # (user id, until), by user id
    removed: frozenset[int] = frozenset()
    hidden: frozenset[tuple[int, int]] = field(default_factory=frozenset)  # (room id, seq)

    def muted_until(self, user_id: int, now: datetime) -> datetime | None:
        """When this user's mute ends, if it has not ended yet."""
        for uid, until in self.muted:
            if uid == user_id and until > now:
                return until
        return None


NO_CONTROL = ControlState()


# -- commands -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SetCaucus:
    on: bool
    reason: str | None = None  # required to switch off a mode forced by a safety concern
    safety: bool = False  # switched on because a screening flagged a safety concern


@dataclass(frozen=True, slots=True)
class Pause:
    pass


@dataclass(frozen=True, slots=True)
class Resume:
    pass


@dataclass(frozen=True, slots=True)
class Mute:
    target: Actor
    until: datetime


@dataclass(frozen=True, slots=True)
class Unmute:
    target: Actor


@dataclass(frozen=True, slots=True)
class Remove:
    target: Actor
    reason: str


@dataclass(frozen=True, slots=True)
class Readmit:
    target: Actor


@dataclass(frozen=True, slots=True)
class Hide:
    room_id: int
    seq: int
    reason: str


Command: TypeAlias = SetCaucus | Pause | Resume | Mute | Unmute | Remove | Readmit | Hide


# -- events (each may be shown to everyone who reads the room it is stored in) ------------------


@dataclass(frozen=True, slots=True)
class CaucusChanged:
    on: bool


@dataclass(frozen=True, slots=True)
class Paused:
    pass


@dataclass(frozen=True, slots=True)
class Resumed:
    pass


@dataclass(frozen=True, slots=True)
class Muted:
    user_id: int
    until: datetime


@dataclass(frozen=True, slots=True)
class Unmuted:
    user_id: int


@dataclass(frozen=True, slots=True)
class Removed:
    user_id: int


@dataclass(frozen=True, slots=True)
class Readmitted:
    user_id: int


@dataclass(frozen=True, slots=True)
class Hidden:
    room_id: int
    seq: int


Event: TypeAlias = (
    CaucusChanged | Paused | Resumed | Muted | Unmuted | Removed | Readmitted | Hidden
)

EVENT_TYPES: dict[type[object], str] = {
    CaucusChanged: "control.caucus",
    Paused: "control.paused",
    Resumed: "control.resumed",
    Muted: "control.muted",
    Unmuted: "control.unmuted",
    Removed: "control.removed",
    Readmitted: "control.readmitted",
    Hidden: "control.hidden",
}


def is_neutral(actor: Actor) -> bool:
    return actor.role in _NEUTRALS


def _system(actor: Actor) -> bool:
    return actor.user_id == SYSTEM_USER_ID and actor.role is Role.ADMIN


def apply(
    state: ControlState, command: Command, actor: Actor, now: datetime
) -> tuple[ControlState, list[Event]]:
    """Decide one command; raise ControlError (state unchanged) if it is not allowed."""
    if isinstance(command, SetCaucus):
        return _caucus(state, command, actor)
    if not is_neutral(actor):
        raise ControlError("not_allowed", N_("Only the mediator controls the rooms."))
    if isinstance(command, Pause):
        if state.paused:
            raise ControlError("wrong_state", N_("The joint conversation is already paused."))
        return replace(state, paused=True), [Paused()]
    if isinstance(command, Resume):
        if not state.paused:
            raise ControlError("wrong_state", N_("The joint conversation is not paused."))
        return replace(state, paused=False), [Resumed()]
    if isinstance(command, Hide):
        key = (command.room_id, command.seq)
        if key in state.hidden:
            raise ControlError("wrong_state", N_("That message is already hidden."))
        if not command.reason.strip():
            raise ControlError("reason_required", N_("Say why the message is hidden."))
        return replace(state, hidden=state.hidden | {key}), [Hidden(*key)]
    target = command.target
    if target.role not in _TARGETS:
        raise ControlError(
            "not_allowed", N_("Only a party or an attorney can be muted or removed.")
        )
    uid = target.user_id
    live = tuple((u, t) for u, t in state.muted if t > now and u != uid)
    if isinstance(command, Mute):
        if not now < command.until <= now + MAX_MUTE:
            raise ControlError("bad_time", N_("A mute lasts from one minute to a day."))
        return replace(state, muted=(*live, (uid, command.until))), [Muted(uid, command.until)]
    if isinstance(command, Unmute):
        if state.muted_until(uid, now) is None:
            raise ControlError("wrong_state", N_("That person is not muted."))
        return replace(state, muted=live), [Unmuted(uid)]
    if isinstance(command, Remove):
        if uid in state.removed:
            raise ControlError("wrong_state", N_("That person is already out of the joint room."))
        if not command.reason.strip():
            raise ControlError("reason_required", N_("Say why the person is removed."))
        return replace(state, removed=state.removed | {uid}), [Removed(uid)]
    if uid not in state.removed:
        raise ControlError("wrong_state", N_("That person is in the joint room."))
    return replace(state, removed=state.removed - {uid}), [Readmitted(uid)]


def _caucus(
    state: ControlState, command: SetCaucus, actor: Actor
) -> tuple[ControlState, list[Event]]:
    system = _system(actor)
    if not (is_neutral(actor) or system):
        raise ControlError("not_allowed", N_("Only the mediator chooses caucus-only mediation."))
    if command.on:
        safety = state.safety or command.safety
        if state.caucus:
            if safety == state.safety:
                raise ControlError("wrong_state", N_("Caucus-only mediation is already on."))
            return replace(state, safety=True), []  # marked, nothing for the rooms to show
        return replace(state, caucus=True, safety=safety), [CaucusChanged(True)]
    if system:
        raise ControlError("not_allowed", N_("Only a mediator switches caucus-only mediation off."))
    if not state.caucus:
        raise ControlError("wrong_state", N_("Caucus-only mediation is already off."))
    if state.safety and not (command.reason or "").strip():
        raise ControlError(
            "reason_required",
            N_("Caucus-only mediation is on because of a safety concern: say why it can end."),
        )
    return replace(state, caucus=False, safety=False), [CaucusChanged(False)]


# -- what the state means for one person in one room --------------------------------------------


def may_read_joint(state: ControlState, actor: Actor) -> bool:
    """Whether the person may still read the joint room (removal takes it away)."""
    return actor.user_id not in state.removed


def joint_write_block(state: ControlState, actor: Actor) -> str | None:
    """Why this person may not write in the joint room now, or None (mutes aside: they end by
    themselves, see `ControlState.muted_until`)."""
    if is_neutral(actor) or actor.role not in _TARGETS:
        return None
    if actor.user_id in state.removed:
        return "removed"
    if state.paused:
        return "paused"
    if state.caucus:
        return "caucus"
    return None
