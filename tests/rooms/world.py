"""A small mediation world stored straight into a real database: users, a case, its rooms.

Room tests start from a case already in mediation without walking the whole intake flow (the
cases tests do that); everything here is a real row in a real SQLite or PostgreSQL database.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text

from odrchat.auth.passwords import Passwords
from odrchat.auth.tables import User
from odrchat.cases.tables import Case, Participant
from odrchat.rooms.presence import MemoryPresence
from odrchat.rooms.service import RoomService
from odrchat.rooms.tables import Room
from odrchat.settings import TEST_ARGON2
from odrchat.store.db import Database
from odrchat.store.types import utcnow
from tests.services import run_sync

PASSWORD = "correct horse battery"


@dataclass
class World:
    case_id: int
    users: dict[str, int]  # name -> user id
    rooms: dict[str, int]  # "joint", "private:plaintiff", "private:defendant", "mediators" -> id

    def email(self, who: str) -> str:
        return f"{who}@example.org"


PEOPLE = {
    # name: (staff_role, participant role, side, approved)
    "paul": ("", "party", "plaintiff", True),
    "dana": ("", "party", "defendant", True),
    "alex": ("", "attorney", "plaintiff", True),
    "mia": ("mediator", "mediator", None, True),
    "otto": ("mediator", "observer", None, True),
    "admin": ("admin", None, None, True),
    "eve": ("", None, None, True),  # a user of no case at all
}


async def build_world(db_url: str, status: str = "in_mediation") -> World:
    db = Database(db_url)
    try:
        pw_hash = await Passwords(TEST_ARGON2).hash(PASSWORD)
        users: dict[str, int] = {}
        async with db.session() as s:
            for name, (staff, *_rest) in PEOPLE.items():
                user = User(
                    email=f"{name}@example.org",
                    display_name=name.title(),
                    password_hash=pw_hash,
                    staff_role=staff,
                    email_verified_at=utcnow(),
                )
                s.add(user)
                await s.flush()
                assert user.id is not None
                users[name] = user.id
            case = Case(
                kind="small_claims",
                status=status,
                court_name="Superior Court",
                court_case_number="SC-2026-0042",
                description="Unpaid invoice",
                initiator_side="plaintiff",
                created_by=users["paul"],
                mediator_id=users["mia"],
            )
            s.add(case)
            await s.flush()
            assert case.id is not None
            for name, (_staff, role, side, approved) in PEOPLE.items():
                if role is not None:
                    s.add(
                        Participant(
                            case_id=case.id,
                            user_id=users[name],
                            role=role,
                            side=side,
                            approved=approved,
                        )
                    )
            rooms = await RoomService(db, MemoryPresence()).open_case_rooms(s, case.id)
            await s.flush()
            keys = {}
            for room in rooms:
                assert room.id is not None
                keys[room.kind if room.side is None else f"{room.kind}:{room.side}"] = room.id
        return World(case.id, users, keys)
    finally:
        await db.dispose()


def world(db_url: str, status: str = "in_mediation") -> World:
    return run_sync(build_world(db_url, status))


async def rooms_of(db_url: str, case_id: int) -> list[Room]:
    from sqlmodel import select

    db = Database(db_url)
    try:
        async with db.session() as s:
            return list((await s.exec(select(Room).where(Room.case_id == case_id))).all())
    finally:
        await db.dispose()


async def insert_events(db: Database, room: int, sender: int, count: int, at: str) -> None:
    """`count` chat messages in `room` with seqs 1..count, in one statement (a long history
    without the log's chain: for tests of plans and statistics). `at` is an SQL expression
    of the series number `g`."""
    async with db.session() as s:
        await s.exec(
            text(
                "INSERT INTO room_events (room_id, seq, type, sender_id, body,"
                " confidentiality, at, prev_hash, hash)"
                f" SELECT :room, g, 'chat.message', :sender, '{{\"text\": \"hi\"}}', 'joint',"
                f" {at}, md5(g::text), md5((g + 1)::text)"
                " FROM generate_series(1, :count) g"
            ),
            params={"room": room, "sender": sender, "count": count},
        )
