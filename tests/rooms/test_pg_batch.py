"""PostgreSQL group commit: a batch read against one snapshot is stored only if its rooms' heads
have not moved; otherwise nothing is stored and the batch is read again. The other worker here is
a real second connection writing the way the app does (`log.append`, the control tables)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import pytest
from sqlmodel import col, func, select

from odrchat.control.tables import CaseControl
from odrchat.rooms import log, pg_batch
from odrchat.rooms.guard import Blocked
from odrchat.rooms.tables import RoomEvent
from odrchat.store.db import Database
from odrchat.store.types import utcnow
from tests.rooms.world import World, build_world
from tests.services import create_pg_database, drop_pg_database

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_url(pg_template: tuple[str, str]) -> Iterator[str]:
    """A fresh migrated PostgreSQL database (this module is about PostgreSQL only)."""
    base, template = pg_template
    url = create_pg_database(base, template=template)
    yield url
    drop_pg_database(base, url)


@pytest.fixture
async def pg(pg_url: str) -> AsyncIterator[tuple[World, Any, Database]]:
    w = await build_world(pg_url)
    conn = await asyncpg.connect(pg_url, timeout=10)
    db = Database(pg_url)
    try:
        yield w, conn, db
    finally:
        await conn.close()
        await db.dispose()


def _request(w: World, who: str, client_id: str, room: str = "joint") -> log.Request:
    side = "plaintiff" if who == "paul" else "defendant"
    body = {
        "text": f"{client_id} from {who}",
        "sender": {"id": w.users[who], "role": "party", "side": side},
    }
    return (w.rooms[room], "chat.message", body, room.split(":")[0], w.users[who], client_id)


async def _other_worker_posts(db: Database, room_id: int, event_type: str = "note") -> None:
    async with db.session() as s:
        await log.append(s, room_id, event_type, {"n": 1}, confidentiality="joint", at=utcnow())
        await s.commit()


async def _rows(db: Database, room_id: int) -> list[tuple[int, str]]:
    async with db.session() as s:
        rows = await s.exec(
            select(RoomEvent.seq, RoomEvent.type)
            .where(RoomEvent.room_id == room_id)
            .order_by(col(RoomEvent.seq))
        )
        return [(int(seq), str(t)) for seq, t in rows.all()]


async def test_a_batch_goes_in_whole_when_no_head_moved(pg: tuple[World, Any, Database]) -> None:
    w, conn, db = pg
    batch = [
        _request(w, "paul", "a"),
        _request(w, "dana", "b"),
        _request(w, "paul", "c", "private:plaintiff"),
        _request(w, "paul", "a"),  # repeated inside the batch: its duplicate
    ]
    outcome = await pg_batch.commit(conn, batch, utcnow())
    assert [(r[0].seq, r[1]) for r in outcome if not isinstance(r, Blocked)] == [
        (1, False),
        (2, False),
        (1, False),
        (1, True),
    ]
    async with db.session() as s:
        for room in (w.rooms["joint"], w.rooms["private:plaintiff"]):
            assert await log.verify_room(s, room) is None
    # A resend of the whole batch stores nothing and finds every event.
    again = await pg_batch.commit(conn, batch, utcnow())
    assert [r[1] for r in again if not isinstance(r, Blocked)] == [True] * 4
    assert len(await _rows(db, w.rooms["joint"])) == 2


async def test_a_head_moved_after_the_read_stores_nothing_and_the_next_try_chains_after_it(
    pg: tuple[World, Any, Database],
) -> None:
    w, conn, db = pg
    joint, private = w.rooms["joint"], w.rooms["private:plaintiff"]
    batch = [_request(w, "paul", "a"), _request(w, "paul", "p", "private:plaintiff")]
    plan = await pg_batch.read(conn, batch, utcnow())
    await _other_worker_posts(db, joint)  # another worker stores in the joint room meanwhile
    assert await pg_batch.store(conn, plan) is False
    # Nothing of the batch went in, in either room, and no head moved for it.
    assert await _rows(db, joint) == [(1, "note")]
    assert await _rows(db, private) == []
    heads = dict(
        await conn.fetch("SELECT id, head_seq FROM rooms WHERE id = ANY($1)", [joint, private])
    )
    assert heads == {joint: 1, private: 0}

    outcome = await pg_batch.commit(conn, batch, utcnow())
    assert [r[0].seq for r in outcome if not isinstance(r, Blocked)] == [2, 1]
    async with db.session() as s:
        assert await log.verify_room(s, joint) is None
        assert await log.verify_room(s, private) is None


async def test_a_pause_committed_after_the_read_refuses_the_message_on_the_next_try(
    pg: tuple[World, Any, Database],
) -> None:
    """The control rows READ saw are stale once the pause is in; the pause's event moved the
    joint room's head, so the batch is read again and the guard refuses paul's message."""
    w, conn, db = pg
    joint = w.rooms["joint"]
    batch = [_request(w, "paul", "late")]
    plan = await pg_batch.read(conn, batch, utcnow())
    assert not isinstance(plan.outcome[0], Blocked)  # as READ saw it: not paused
    async with db.session() as s:  # the pause, as control.service writes it
        s.add(CaseControl(case_id=w.case_id, paused=True))
        await log.append(s, joint, "control.paused", {}, confidentiality="joint", at=utcnow())
        await s.commit()
    assert await pg_batch.store(conn, plan) is False
    outcome = await pg_batch.commit(conn, batch, utcnow())
    assert isinstance(outcome[0], Blocked) and outcome[0].block == "paused"
    assert await _rows(db, joint) == [(1, "control.paused")]


async def test_after_every_optimistic_try_meets_a_moved_head_the_batch_takes_the_locks(
    pg: tuple[World, Any, Database], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker that keeps losing the race still finishes: its last way is the locking path."""
    w, conn, db = pg
    joint = w.rooms["joint"]
    tries = 0
    real_store = pg_batch.store

    async def store_after_another_worker(conn: Any, plan: pg_batch.Plan) -> bool:
        nonlocal tries
        tries += 1
        await _other_worker_posts(db, joint)
        return await real_store(conn, plan)

    monkeypatch.setattr(pg_batch, "store", store_after_another_worker)
    moved: list[int] = []
    outcome = await pg_batch.commit(
        conn, [_request(w, "paul", "x")], utcnow(), lambda: moved.append(1)
    )
    assert tries == len(moved) == pg_batch.OPTIMISTIC_TRIES  # each moved head was counted
    stored = outcome[0]
    assert not isinstance(stored, Blocked)
    assert stored[0].seq == pg_batch.OPTIMISTIC_TRIES + 1  # after the other worker's notes
    assert [t for _, t in await _rows(db, joint)] == ["note"] * pg_batch.OPTIMISTIC_TRIES + [
        "chat.message"
    ]
    async with db.session() as s:
        assert await log.verify_room(s, joint) is None
        total = (await s.exec(select(func.count()).select_from(RoomEvent))).one()
        assert total == pg_batch.OPTIMISTIC_TRIES + 1


async def test_a_duplicate_stored_by_another_worker_after_the_read_is_found_on_the_next_try(
    pg: tuple[World, Any, Database], pg_url: str
) -> None:
    """Storing it moved the room's head, so the batch is read again and finds it stored."""
    w, conn, db = pg
    joint = w.rooms["joint"]
    batch = [_request(w, "paul", "same"), _request(w, "dana", "d")]
    plan = await pg_batch.read(conn, batch, utcnow())
    other = await asyncpg.connect(pg_url, timeout=10)
    try:
        first = await pg_batch.commit(other, [_request(w, "paul", "same")], utcnow())
    finally:
        await other.close()
    assert await pg_batch.store(conn, plan) is False
    outcome = await pg_batch.commit(conn, batch, utcnow())
    assert outcome[0] == (first[0][0], True)  # type: ignore[index]
    assert [t for _, t in await _rows(db, joint)] == ["chat.message"] * 2
    async with db.session() as s:
        assert await log.verify_room(s, joint) is None
