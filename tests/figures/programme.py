"""A programme of cases stored straight into a real database, for the figures' route tests.

Every row carries names, case numbers, descriptions and chat text marked SECRET, so a test can
say none of it reaches the figures."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from odrchat.auth.tables import User
from odrchat.cases.tables import Case, ConsentRow
from odrchat.rooms.tables import Room, RoomEvent
from odrchat.store.db import Database
from tests.services import run_sync

SECRET = "SECRET"
T0 = datetime(2026, 3, 10, 17, 0, tzinfo=UTC)
# (status, how many, days to the first chat message, days to closing)
PROGRAMME = (
    ("settled", 6, 2, 20),
    ("impasse", 5, 3, 30),
    ("opted_out", 2, 1, 5),
    ("declined", 5, None, 7),
    ("in_mediation", 3, 1, None),
)


async def _seed(db_url: str) -> None:
    db = Database(db_url)
    try:
        async with db.session() as s:
            party = User(
                email=f"{SECRET.lower()}-party@example.org",
                display_name=f"{SECRET} Party Name",
                password_hash="x",
            )
            mediator = User(
                email=f"{SECRET.lower()}-mediator@example.org",
                display_name=f"{SECRET} Mediator Name",
                password_hash="x",
                staff_role="mediator",
            )
            s.add(party)
            s.add(mediator)
            await s.flush()
            assert party.id is not None and mediator.id is not None
            n = 0
            for status, count, first_days, close_days in PROGRAMME:
                for _ in range(count):
                    n += 1
                    filed = T0 + timedelta(days=n)
                    case = Case(
                        kind="small_claims",
                        status=status,
                        court_case_number=f"24{SECRET}{n:03d}",
                        court_name=f"{SECRET} Courthouse",
                        description=f"{SECRET} description {n}",
                        initiator_side="plaintiff",
                        outcome=status if close_days else None,
                        closed_at=filed + timedelta(days=close_days) if close_days else None,
                        created_at=filed,
                        created_by=party.id,
                        mediator_id=mediator.id if first_days else None,
                    )
                    s.add(case)
                    await s.flush()
                    assert case.id is not None
                    if status != "declined":
                        for side in ("plaintiff", "defendant"):
                            s.add(
                                ConsentRow(
                                    case_id=case.id,
                                    user_id=party.id,
                                    side=side,
                                    text_version="v1",
                                    accepted_at=filed,
                                )
                            )
                    if first_days is None:
                        continue
                    room = Room(case_id=case.id, kind="joint", head_seq=1)
                    s.add(room)
                    await s.flush()
                    assert room.id is not None
                    s.add(
                        RoomEvent(
                            room_id=room.id,
                            seq=1,
                            type="chat.message",
                            sender_id=party.id,
                            body=json.dumps({"text": f"{SECRET} chat message {n}"}),
                            confidentiality="joint",
                            at=filed + timedelta(days=first_days),
                            prev_hash="0" * 64,
                            hash="1" * 64,
                        )
                    )
    finally:
        await db.dispose()


def seed_programme(db_url: str) -> None:
    """21 small claims cases filed from 2026-03-11, one a day, with the PROGRAMME's outcomes."""
    run_sync(_seed(db_url))
