"""The coordinator of the mediator's tools: room control and relays, one unit of work each.

Every change locks the case (`odrchat.cases.unit`), resolves the actor (outsiders get 404),
decides with the pure rules (`control.machine`, `control.relay`), writes the state rows, stores
its events in the rooms they concern, writes the audit entry (with the reason, which no event
carries), and marks the case changed: after the commit every worker drops its view of the case
and re-checks each live subscription of it, so a pause, a mute or a removal holds on every
worker as soon as the change is heard (the socket reads the worker's view before storing any
message, and the store checks a joint-room message again under the room's lock: `rooms.guard`).
The state lives in rows (`control.tables`); the history in the hash-chained room logs.

`set_caucus` is the entry point for screening: called with no user (the system actor) and
`safety=True` when a screening flags a safety concern, it switches caucus-only mode on (or
marks it as forced when a mediator had already switched it on). `caucus_in` does the same inside
a unit the caller already holds.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import col, select

from odrchat.auth.tables import User
from odrchat.cases import machine as cm
from odrchat.cases.queries import participants_of
from odrchat.cases.roles import Actor, Role, Side
from odrchat.cases.tables import Case
from odrchat.cases.unit import Unit, Units
from odrchat.control import machine as m
from odrchat.control import relay as r
from odrchat.control.tables import CaseControl, HiddenMessage, MemberControl, Relay
from odrchat.errors import Conflict, NotFound, from_domain
from odrchat.i18n import N_
from odrchat.offers.tables import OfferRow, stored_terms
from odrchat.offers.terms import describe
from odrchat.protocol import control_body, person, relay_body, relayed
from odrchat.rooms.access import RoomKind, RoomRef, can_read
from odrchat.rooms.directory import load_controls
from odrchat.rooms.tables import Room, RoomEvent
from odrchat.store.types import utcnow

MAX_MUTE_MINUTES = int(m.MAX_MUTE.total_seconds() // 60)


def _by(user: User | None, actor: Actor) -> dict[str, Any] | None:
    if user is None or user.id is None:
        return None
    return person(user.id, user.display_name, str(actor.role), actor.side)


def _ref(room: Room) -> RoomRef:
    return RoomRef(RoomKind(room.kind), Side(room.side) if room.side else None)


class ControlService:
    """Caucus mode, pause, mutes, removals, hidden messages and relays."""

    def __init__(self, units: Units) -> None:
        self.units = units

    # -- room control ------------------------------------------------------------------------

    async def set_caucus(
        self,
        case_id: int,
        on: bool,
        actor: User | None,
        reason: str | None = None,
        *,
        safety: bool = False,
    ) -> dict[str, Any]:
        """Switch caucus-only mode; `actor` None is the system (a flagged screening)."""
        async with self.units.begin() as unit:
            return await self.caucus_in(unit, case_id, on, actor, reason, safety=safety)

    async def caucus_in(
        self,
        unit: Unit,
        case_id: int,
        on: bool,
        actor: User | None,
        reason: str | None = None,
        *,
        safety: bool = False,
    ) -> dict[str, Any]:
        """`set_caucus` inside a unit the caller holds (screening's own transaction)."""
        case, who = await unit.lock(case_id, actor)
        if cm.CaseStatus(case.status).is_final:
            raise Conflict("This case is closed.", code="wrong_state")
        return await self._apply(unit, case, who, actor, m.SetCaucus(on, reason, safety), reason)

    async def on_flagged(self, unit: Unit, case: Case, now: datetime) -> None:
        """Screening's hook (`SafetyService(on_flagged=...)`), inside the unit that stored a
        flagged answer with the case locked: caucus-only mode, forced by a safety concern.
        Idempotent: a case already forced stays as it is."""
        assert case.id is not None
        conn = await unit.session.connection()
        state = (await load_controls(conn, [case.id])).get(case.id, m.NO_CONTROL)
        if state.caucus and state.safety:
            return
        command = m.SetCaucus(True, None, safety=True)
        await self._apply(unit, case, cm.system_actor(), None, command, None, now=now)

    async def pause(self, user: User, case_id: int, paused: bool) -> dict[str, Any]:
        """Pause the joint room (only mediators write) or resume it."""
        command: m.Command = m.Pause() if paused else m.Resume()
        return await self._control(user, case_id, command, None)

    async def mute(self, user: User, case_id: int, target_id: int, minutes: int) -> dict[str, Any]:
        """Mute a party or attorney in the joint room for `minutes` (0: lift the mute)."""
        async with self.units.begin() as unit:
            case, actor = await unit.lock(case_id, user)
            unit.require_mediation(case)
            target = await _target(unit, case_id, target_id, actor)
            now = utcnow()
            command: m.Command = (
                m.Mute(target, now + timedelta(minutes=minutes)) if minutes else m.Unmute(target)
            )
            return await self._apply(unit, case, actor, user, command, None, now=now)

    async def remove(self, user: User, case_id: int, target_id: int, reason: str) -> dict[str, Any]:
        """Take a party or attorney out of the joint room (their private room stays)."""
        async with self.units.begin() as unit:
            case, actor = await unit.lock(case_id, user)
            unit.require_mediation(case)
            target = await _target(unit, case_id, target_id, actor)
            return await self._apply(unit, case, actor, user, m.Remove(target, reason), reason)

    async def readmit(self, user: User, case_id: int, target_id: int) -> dict[str, Any]:
        """Let a removed party or attorney back into the joint room."""
        async with self.units.begin() as unit:
            case, actor = await unit.lock(case_id, user)
            unit.require_mediation(case)
            target = await _target(unit, case_id, target_id, actor)
            return await self._apply(unit, case, actor, user, m.Readmit(target), None)

    async def hide(self, user: User, room_id: int, seq: int, reason: str) -> dict[str, Any]:
        """Hide a chat message from the parties' view (kept in the record)."""
        async with self.units.begin() as unit:
            room = await unit.session.get(Room, room_id)
            if room is None:
                raise NotFound("Not found.")
            case, actor = await unit.lock(room.case_id, user)
            if not can_read(actor, _ref(room)):
                raise NotFound("Not found.")
            event = (
                await unit.session.exec(
                    select(RoomEvent).where(
                        col(RoomEvent.room_id) == room_id, col(RoomEvent.seq) == seq
                    )
                )
            ).first()
            if event is None or event.type != "chat.message":
                raise NotFound(N_("No such message."))
            command = m.Hide(room_id, seq, reason)
            return await self._apply(unit, case, actor, user, command, reason)

    async def _control(
        self, user: User, case_id: int, command: m.Command, reason: str | None
    ) -> dict[str, Any]:
        async with self.units.begin() as unit:
            case, actor = await unit.lock(case_id, user)
            unit.require_mediation(case)
            return await self._apply(unit, case, actor, user, command, reason)

    async def _apply(
        self,
        unit: Unit,
        case: Case,
        actor: Actor,
        user: User | None,
        command: m.Command,
        reason: str | None,
        *,
        now: datetime | None = None,
    ) -> dict[str, Any]:
        assert case.id is not None
        now = now or utcnow()
        s = unit.session
        conn = await s.connection()
        state = (await load_controls(conn, [case.id])).get(case.id, m.ControlState())
        try:
            new, events = m.apply(state, command, actor, now)
        except m.ControlError as exc:
            raise from_domain(exc.code, exc.message, params=exc.params) from None
        await _write(unit, case.id, new, command, actor, now)
        by = _by(user, actor)
        for event in events:
            fields = _fields(event)
            body = control_body(by, **fields)
            event_type = m.EVENT_TYPES[type(event)]
            if isinstance(event, m.Hidden):
                await unit.post_in_room(event.room_id, event_type, body, sender_id=actor_id(user))
            else:
                await unit.post(case.id, event_type, body, sender_id=actor_id(user))
        detail: dict[str, Any] = {"command": type(command).__name__, **_detail(command)}
        if reason:
            detail["reason"] = reason
        await unit.audit(actor_id(user), "room.control", case.id, detail, now=now)
        unit.changed(case.id)
        return _state_json(new, now)

    # -- relays ------------------------------------------------------------------------------

    async def share(
        self,
        user: User,
        room_id: int,
        *,
        seq: int | None = None,
        offer_id: int | None = None,
        text: str | None = None,
    ) -> dict[str, Any]:
        """Share a message (or an offer's summary) of a private room with the other side: the
        mediator shares; a party or attorney of that room proposes."""
        async with self.units.begin() as unit:
            s = unit.session
            room = await s.get(Room, room_id)
            if room is None:
                raise NotFound("Not found.")
            case, actor = await unit.lock(room.case_id, user)
            ref = _ref(room)
            if not can_read(actor, ref) or actor.role is Role.ADMIN:
                raise NotFound("Not found.")
            if ref.kind is not RoomKind.PRIVATE or ref.side is None:
                raise Conflict(
                    N_("Only words from a private room are relayed."), code="not_private"
                )
            unit.require_mediation(case)
            assert case.id is not None
            source_text, own_words, ours = await _source(
                unit, case.id, room_id, ref.side, seq, offer_id
            )
            if text is not None and text != source_text:
                if not m.is_neutral(actor):
                    raise from_domain("not_allowed", N_("Only the mediator rephrases a relay."))
                source_text, own_words = text, False
            if not (ours or m.is_neutral(actor)):
                raise from_domain("not_allowed", N_("You can relay only your own side's words."))
            try:
                state = r.start(ref.side, source_text, own_words, actor)
            except m.ControlError as exc:
                raise from_domain(exc.code, exc.message, params=exc.params) from None
            row = Relay(
                case_id=case.id,
                source_room_id=room_id,
                source_seq=seq,
                offer_id=offer_id,
                side=str(ref.side),
                text=state.text,
                own_words=state.own_words,
                status=str(state.status),
                proposed_by=user.id or 0,
                decided_by=actor_id(user) if m.is_neutral(actor) else None,
            )
            s.add(row)
            await s.flush()
            await self._relay_events(unit, case, row, state, user, actor, first=True)
            return relay_json(row)

    async def decide(self, user: User, relay_id: int, command: r.Command) -> dict[str, Any]:
        """Approve (mediator), confirm (the side) or decline a pending relay."""
        async with self.units.begin() as unit:
            s = unit.session
            row = await s.get(Relay, relay_id)
            if row is None:
                raise NotFound("Not found.")
            case, actor = await unit.lock(row.case_id, user)
            room = await s.get(Room, row.source_room_id)
            assert room is not None
            # The other side is never told a relay exists before it is shared.
            if not can_read(actor, _ref(room)) or actor.role is Role.ADMIN:
                raise NotFound("Not found.")
            unit.require_mediation(case)
            state = r.RelayState(Side(row.side), row.text, row.own_words, r.RelayStatus(row.status))
            try:
                new = r.decide(state, command, actor)
            except m.ControlError as exc:
                raise from_domain(exc.code, exc.message, params=exc.params) from None
            row.text, row.own_words, row.status = new.text, new.own_words, str(new.status)
            if m.is_neutral(actor):
                row.decided_by = actor_id(user)
            s.add(row)
            await self._relay_events(unit, case, row, new, user, actor, first=False)
            return relay_json(row)

    async def _relay_events(
        self,
        unit: Unit,
        case: Case,
        row: Relay,
        state: r.RelayState,
        user: User,
        actor: Actor,
        *,
        first: bool,
    ) -> None:
        assert case.id is not None and row.id is not None
        by = _by(user, actor)
        assert by is not None
        status = str(state.status)
        fields: dict[str, Any] = {"source_seq": row.source_seq, "offer_id": row.offer_id}
        if state.status is r.RelayStatus.SHARED:
            target = await _target_room(unit, case.id, state.side)
            mediator = by
            if not m.is_neutral(actor) and row.decided_by is not None:
                found = await unit.session.get(User, row.decided_by)
                if found is not None and found.id is not None:
                    mediator = person(found.id, found.display_name, "mediator")
            copy = relayed(row.id, state.text, str(state.side), mediator)
            seq = await unit.post_in_room(target.id or 0, "relay.message", copy, sender_id=user.id)
            row.target_room_id, row.target_seq = target.id, seq
            unit.session.add(row)
            fields["text"] = state.text
            event_type = "relay.shared"
        elif state.status is r.RelayStatus.DECLINED:
            event_type = "relay.declined"
        else:
            fields["text"] = state.text
            event_type = (
                "relay.proposed" if state.status is r.RelayStatus.PROPOSED else "relay.asked"
            )
        body = relay_body(row.id, status, by, **fields)
        await unit.post_in_room(row.source_room_id, event_type, body, sender_id=user.id)
        detail = {"relay": row.id, "status": status, "room": row.source_room_id}
        await unit.audit(user.id, "relay." + status, case.id, detail)


def actor_id(user: User | None) -> int | None:
    return user.id if user is not None else None


async def _target(unit: Unit, case_id: int, user_id: int, actor: Actor) -> Actor:
    """The active participant a mute or removal is about (404 for anyone else); whoever may
    not mute or remove anyone hears that first, whoever they named."""
    if not m.is_neutral(actor):
        raise from_domain("not_allowed", N_("Only the mediator controls the rooms."))
    for row in await participants_of(unit.session, case_id):
        if row.user_id == user_id and row.active:
            return Actor.stored(row.user_id, row.role, row.side)
    raise NotFound(N_("No such participant."))


async def _write(
    unit: Unit, case_id: int, state: m.ControlState, command: m.Command, actor: Actor, now: datetime
) -> None:
    """The rows the new state stands for."""
    s = unit.session
    row = await s.get(CaseControl, case_id)
    if row is None:
        row = CaseControl(case_id=case_id)
    row.caucus, row.safety, row.paused, row.updated_at = (
        state.caucus,
        state.safety,
        state.paused,
        now,
    )
    s.add(row)
    if isinstance(command, m.Mute | m.Unmute | m.Remove | m.Readmit):
        uid = command.target.user_id
        member = await s.get(MemberControl, (case_id, uid))
        if member is None:
            member = MemberControl(case_id=case_id, user_id=uid)
        member.muted_until = state.muted_until(uid, now)
        member.removed = uid in state.removed
        s.add(member)
    if isinstance(command, m.Hide):
        s.add(
            HiddenMessage(
                room_id=command.room_id,
                seq=command.seq,
                case_id=case_id,
                hidden_by=actor.user_id,
                at=now,
            )
        )
    await s.flush()


def _fields(event: m.Event) -> dict[str, Any]:
    if isinstance(event, m.CaucusChanged):
        return {"on": event.on}
    if isinstance(event, m.Muted):
        return {"user_id": event.user_id, "until": event.until.isoformat()}
    if isinstance(event, m.Unmuted | m.Removed | m.Readmitted):
        return {"user_id": event.user_id}
    if isinstance(event, m.Hidden):
        return {"target_seq": event.seq}
    return {}


def _detail(command: m.Command) -> dict[str, Any]:
    if isinstance(command, m.SetCaucus):
        return {"on": command.on, "safety": command.safety}
    if isinstance(command, m.Mute):
        return {"user_id": command.target.user_id, "until": command.until.isoformat()}
    if isinstance(command, m.Unmute | m.Remove | m.Readmit):
        return {"user_id": command.target.user_id}
    if isinstance(command, m.Hide):
        return {"room": command.room_id, "seq": command.seq}
    return {}


def _state_json(state: m.ControlState, now: datetime) -> dict[str, Any]:
    return {
        "caucus": state.caucus,
        "safety": state.safety,
        "paused": state.paused,
        "muted": [{"user_id": u, "until": t} for u, t in state.muted if t > now],
        "removed": sorted(state.removed),
    }


def relay_json(row: Relay) -> dict[str, Any]:
    return {
        "id": row.id,
        "room": row.source_room_id,
        "side": row.side,
        "source_seq": row.source_seq,
        "offer_id": row.offer_id,
        "text": row.text,
        "own_words": row.own_words,
        "status": row.status,
        "target_room": row.target_room_id,
        "target_seq": row.target_seq,
    }


async def _source(
    unit: Unit, case_id: int, room_id: int, side: Side, seq: int | None, offer_id: int | None
) -> tuple[str, bool, bool]:
    """The words to relay, whether they are a party's own (a message of theirs as written), and
    whether they are this side's (its message, or the summary of an offer it made): a party
    proposes relaying only its own side's."""
    s = unit.session
    if (seq is None) == (offer_id is None):
        raise from_domain("bad_source", N_("Relay one message or one offer."))
    if seq is not None:
        event = (
            await s.exec(
                select(RoomEvent).where(
                    col(RoomEvent.room_id) == room_id, col(RoomEvent.seq) == seq
                )
            )
        ).first()
        if event is None or event.type != "chat.message":
            raise NotFound(N_("No such message."))
        hidden = await s.get(HiddenMessage, (room_id, seq))
        if hidden is not None:
            raise Conflict(N_("A hidden message is not relayed."), code="wrong_state")
        body = json.loads(event.body)
        sender = body.get("sender") or {}
        own = sender.get("role") in ("party", "attorney") and sender.get("side") == str(side)
        return str(body.get("text", "")), own, own
    offer = await s.get(OfferRow, offer_id)
    if offer is None or offer.case_id != case_id:
        raise NotFound(N_("No such offer."))
    names = {
        Side(p.side): u
        for p in await participants_of(s, case_id)
        if p.role == "party" and p.side and (u := await _name(unit, p.user_id))
    }
    sentences = " ".join(describe(t, names) for t in stored_terms(offer).items)
    return f"Offer {offer.id}: {sentences}", False, offer.maker_side == str(side)


async def _name(unit: Unit, user_id: int) -> str:
    user = await unit.session.get(User, user_id)
    return user.display_name if user is not None else ""


async def _target_room(unit: Unit, case_id: int, side: Side) -> Room:
    """Where a relay from `side` lands: the joint room, or in caucus-only mode the other
    side's private room."""
    s = unit.session
    control = await s.get(CaseControl, case_id)
    caucus = control is not None and control.caucus
    rooms = (await s.exec(select(Room).where(col(Room.case_id) == case_id))).all()
    for room in rooms:
        if caucus and room.kind == RoomKind.PRIVATE and room.side == str(side.other):
            return room
        if not caucus and room.kind == RoomKind.JOINT:
            return room
    raise NotFound(N_("No such room."))
