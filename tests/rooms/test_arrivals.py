"""Arriving sockets are read in batches and let in by the same rule as HTTP requests (both
backends): the batch's answer for each cookie is what the one-at-a-time reads gave."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlmodel import col, select

from odrchat.auth.passwords import Passwords
from odrchat.auth.service import AuthService
from odrchat.auth.tables import AuthSession, User
from odrchat.auth.tokens import hash_token, new_token
from odrchat.cases.queries import user_case_ids
from odrchat.rooms.arrivals import Arrivals
from odrchat.rooms.directory import Directory, Viewer
from odrchat.rooms.presence import MemoryPresence
from odrchat.rooms.service import RoomService
from odrchat.rooms.tables import Room
from odrchat.settings import TEST_ARGON2, Settings
from odrchat.store.db import Database
from odrchat.store.types import utcnow
from tests.rooms.world import build_world


async def _session(db: Database, user_id: int, **fields: object) -> str:
    token = new_token()
    now = utcnow()
    values: dict[str, object] = {"last_seen_at": now, "expires_at": now + timedelta(days=7)}
    values.update(fields)
    async with db.session() as s:
        s.add(AuthSession(token_hash=hash_token(token), user_id=user_id, **values))
    return token


async def test_a_batch_reads_each_cookie_as_a_request_would_and_the_rule_lets_in_the_same(
    db_url: str, settings: Settings
) -> None:
    w = await build_world(db_url)
    db = Database(db_url)
    auth = AuthService(settings, db, Passwords(TEST_ARGON2))
    now = utcnow()
    try:
        async with db.session() as s:
            gone = (await s.exec(select(User).where(col(User.id) == w.users["otto"]))).one()
            gone.disabled_at = now
        tokens = {
            "paul": await _session(db, w.users["paul"]),
            "mia": await _session(db, w.users["mia"]),
            "admin": await _session(db, w.users["admin"]),
            "eve": await _session(db, w.users["eve"]),  # in no case
            "revoked": await _session(db, w.users["dana"], revoked_at=now),
            "expired": await _session(db, w.users["dana"], expires_at=now - timedelta(seconds=1)),
            "idle": await _session(
                db, w.users["dana"], last_seen_at=now - settings.session_idle - timedelta(1)
            ),
            "disabled": await _session(db, w.users["otto"]),
            "unknown": new_token(),
            "too long": "x" * 200,
        }
        arrivals = Arrivals(
            db, asyncio.Semaphore(1), Directory(db), session_idle=settings.session_idle
        )
        read = await asyncio.gather(*(arrivals.read(t) for t in tokens.values()))
        got = dict(zip(tokens, read, strict=True))
        # One read slot: the first arrival reads alone, the next batch takes the other eight
        # (the over-long cookie is refused before any read).
        assert (arrivals.batches, arrivals.requests) == (2, 9)
        assert got["unknown"] is None and got["too long"] is None

        for name, token in tokens.items():
            arrival = got[name]
            by_request = await auth.authenticate(token)
            let_in = arrival is not None and await auth.admits(arrival.stamp)
            assert let_in == (by_request is not None), name
            if by_request is None or arrival is None:
                continue
            user = by_request.user
            assert arrival.stamp.user_id == user.id
            assert arrival.stamp.session_id == by_request.session.id
            assert arrival.display_name == user.display_name
            assert arrival.is_admin == user.is_admin
            async with db.read() as s:
                cases = await user_case_ids(s, user.id)
                rooms = (
                    await s.exec(select(Room.id, Room.head_seq).where(col(Room.case_id).in_(cases)))
                ).all()
            assert list(arrival.case_ids) == cases
            assert arrival.heads == dict(rooms)
        assert {n for n, a in got.items() if a is not None} == set(tokens) - {"unknown", "too long"}
        assert got["paul"] is not None and got["paul"].case_ids == (w.case_id,)
        assert got["eve"] is not None and got["eve"].case_ids == () and got["eve"].heads == {}
        assert got["paul"].heads.keys() == set(w.rooms.values())
    finally:
        await db.dispose()


async def test_sessions_due_a_touch_are_touched_once_and_only_those_that_stand(
    db_url: str, settings: Settings
) -> None:
    """On PostgreSQL the arrival's own statement writes the touch (no statement of its own);
    on SQLite `admits` does. Either way, only a session that stands and was last seen over a
    minute ago is written: an idle, revoked or disabled one must never be made to look used."""
    w = await build_world(db_url)
    db = Database(db_url)
    auth = AuthService(settings, db, Passwords(TEST_ARGON2))
    now = utcnow()
    stale = now - timedelta(minutes=5)
    idle = now - settings.session_idle - timedelta(minutes=1)
    try:
        async with db.session() as s:
            gone = (await s.exec(select(User).where(col(User.id) == w.users["otto"]))).one()
            gone.disabled_at = now
        tokens = {
            "paul": await _session(db, w.users["paul"], last_seen_at=stale),
            "dana": await _session(db, w.users["dana"], last_seen_at=stale),
            "mia": await _session(db, w.users["mia"]),  # fresh: not written
            "idle": await _session(db, w.users["paul"], last_seen_at=idle),
            "revoked": await _session(db, w.users["dana"], last_seen_at=stale, revoked_at=now),
            "expired": await _session(db, w.users["dana"], last_seen_at=stale, expires_at=now),
            "disabled": await _session(db, w.users["otto"], last_seen_at=stale),
        }
        arrivals = Arrivals(
            db, asyncio.Semaphore(4), Directory(db), session_idle=settings.session_idle
        )
        read = dict(zip(tokens, [await arrivals.read(t) for t in tokens.values()], strict=True))

        async def last_seen() -> dict[str, object]:
            async with db.read() as s:
                rows = dict(
                    (await s.exec(select(AuthSession.token_hash, AuthSession.last_seen_at))).all()
                )
            return {name: rows[hash_token(t)] for name, t in tokens.items()}

        before = await last_seen()
        admitted = {n: a is not None and await auth.admits(a.stamp) for n, a in read.items()}
        assert {n for n, ok in admitted.items() if ok} == {"paul", "dana", "mia"}
        after = await last_seen()
        for name in ("paul", "dana"):
            assert after[name] > stale + timedelta(minutes=4), name
        for name in ("idle", "revoked", "expired", "disabled"):
            assert before[name] == after[name] and after[name] in (stale, idle), name
        assert after["mia"] == before["mia"]
        if db.is_sqlite:
            assert auth._touches.requests == 2
        else:
            # Written by the read itself, and its stamp says so: admits writes nothing more.
            assert auth._touches.requests == 0
            assert before["paul"] > stale + timedelta(minutes=4) and before["paul"] == after["paul"]
            stamp = read["paul"].stamp if read["paul"] is not None else None
            assert stamp is not None and stamp.last_seen_at == before["paul"]
    finally:
        await db.dispose()


async def test_an_arrival_leaves_its_cases_views_in_the_directory_unless_they_changed(
    db_url: str, settings: Settings
) -> None:
    """On PostgreSQL the views of the arriving user's cases are read with the arrival and kept
    in the directory (the hello needs no read of its own), the same views the directory would
    load; a view dropped while such a read was out is not kept, and rooms_in loads it afresh."""
    w = await build_world(db_url)
    db = Database(db_url)
    rooms = RoomService(db, MemoryPresence(), session_idle=settings.session_idle)
    try:
        token = await _session(db, w.users["paul"])
        arrival = await rooms.arrivals.read(token)
        assert arrival is not None and arrival.case_ids == (w.case_id,)
        paul = Viewer(w.users["paul"], "Paul", False)
        loaded = await Directory(db).view(w.case_id)
        assert loaded is not None
        if db.is_sqlite:
            assert rooms.directory.cached(w.case_id) is None
        else:
            assert rooms.directory.cached_room(w.rooms["joint"]) == loaded
            assert rooms.directory.cached(w.case_id) == loaded
            assert rooms.directory.loads == 0
        got = await rooms.rooms_in(paul, arrival.case_ids, arrival.heads)
        fresh = RoomService(db, MemoryPresence())
        expected = await fresh.rooms_in(paul, arrival.case_ids, arrival.heads)
        assert len(got) == 2 and got == expected  # the joint room and Paul's own
        assert rooms.directory.loads == (1 if db.is_sqlite else 0)

        # The case changes after such a read began: what the read brought is not kept.
        rooms.directory.forget_all()
        since = rooms.directory.changes
        rooms.directory.forget(w.case_id)
        rooms.directory.keep({w.case_id: loaded}, since)
        assert rooms.directory.cached(w.case_id) is None
        loads = rooms.directory.loads
        await rooms.rooms_in(paul, arrival.case_ids, arrival.heads)
        assert rooms.directory.loads == loads + 1
    finally:
        await db.dispose()
