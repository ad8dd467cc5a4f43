"""The store's own check of the mediator's control, under the room lock (pure).

A socket checks a message against its worker's view of the case before it asks the writer to
store it, and every worker drops that view when it hears of a change. Between a pause committed
on one worker and the moment another worker hears of it, that other worker would still accept a
message and store it after the `control.paused` event. So group commit checks again, after it
holds the room rows' locks: a control change posts its event in the joint room, which takes the
same lock, so whichever commits first is first in the room's log. A pause (caucus mode, a
removal, a mute) committed before our lock is seen by the statement that reads the control
rows after it (PostgreSQL READ COMMITTED takes a new snapshot per statement; SQLite's BEGIN
IMMEDIATE holds the whole database), and the message is refused; one locked first goes in
before the change's event. No party or attorney message thus follows a pause in the log.

Only joint-room messages of parties and attorneys are checked (the rule is
`control.machine.joint_write_block`, plus a mute that has not ended at the batch's time). A
client id already stored is still answered as its duplicate: the message went in before.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from odrchat import protocol as p
from odrchat.cases.roles import Actor, Role
from odrchat.control import machine as ctl
from odrchat.control.texts import refusal
from odrchat.rooms.log import Request, StoredEvent

JOINT = "joint"  # the confidentiality of the joint room's events (`rooms.access.confidentiality`)
_CHECKED = frozenset({str(Role.PARTY), str(Role.ATTORNEY)})


class Blocked(p.FrameError):
    """The mediator's control refused this message (`block`: caucus, paused, muted, removed).

    The socket answers it as it answers its own check: `forbidden` with the block, to the
    chat.send frame whose id is the message's client id."""

    def __init__(self, block: str, client_id: str) -> None:
        super().__init__(
            "forbidden",
            refusal(block),
            re_id=client_id,
            block=block if block in p.BLOCKS else None,
        )
        self.block = block


def _role(request: Request) -> str | None:
    sender = request[2].get("sender") or {}
    role = sender.get("role")
    return role if isinstance(role, str) else None


def rooms_to_check(batch: Sequence[Request]) -> list[int]:
    """The joint rooms with a message from a party or attorney in this batch (sorted)."""
    return sorted({r[0] for r in batch if r[3] == JOINT and _role(r) in _CHECKED})


def states(
    cases: Iterable[tuple[int, bool, bool]],
    members: Iterable[tuple[int, int, datetime | None, bool]],
) -> dict[int, ctl.ControlState]:
    """Control states by room from rows (room, caucus, paused) and (room, user, muted_until,
    removed)."""
    muted: dict[int, list[tuple[int, datetime]]] = {}
    removed: dict[int, set[int]] = {}
    for room_id, user_id, until, out in members:
        if until is not None:
            muted.setdefault(room_id, []).append((user_id, until))
        if out:
            removed.setdefault(room_id, set()).add(user_id)
    found = {
        room_id: ctl.ControlState(caucus=bool(caucus), paused=bool(paused))
        for room_id, caucus, paused in cases
    }
    for room_id in {*muted, *removed}:
        base = found.get(room_id, ctl.NO_CONTROL)
        found[room_id] = ctl.ControlState(
            caucus=base.caucus,
            paused=base.paused,
            muted=tuple(sorted(muted.get(room_id, []))),
            removed=frozenset(removed.get(room_id, set())),
        )
    return found


def blocked(
    batch: Sequence[Request],
    stored: dict[tuple[int, int, str], StoredEvent],
    by_room: dict[int, ctl.ControlState],
    at: datetime,
) -> dict[int, str]:
    """The batch's refused requests: index -> why."""
    out: dict[int, str] = {}
    for i, request in enumerate(batch):
        room_id, _type, _body, conf, sender_id, client_id = request
        role = _role(request)
        if conf != JOINT or role not in _CHECKED or (room_id, sender_id, client_id) in stored:
            continue
        state = by_room.get(room_id, ctl.NO_CONTROL)
        side = (request[2].get("sender") or {}).get("side")
        actor = Actor.stored(sender_id, str(role), side)
        block = ctl.joint_write_block(state, actor)
        if block is None and state.muted_until(sender_id, at) is not None:
            block = "muted"
        if block is not None:
            out[i] = block
    return out


def merge(
    batch: Sequence[Request], blocks: dict[int, str], results: list[tuple[StoredEvent, bool]]
) -> list[tuple[StoredEvent, bool] | Blocked]:
    """Results in the batch's order: the stored ones, and a Blocked for each refused request."""
    kept = iter(results)
    return [
        Blocked(blocks[i], request[5]) if i in blocks else next(kept)
        for i, request in enumerate(batch)
    ]
