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
        arrivals = Arrivals(db, asyncio.Semaphore(1))
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


async def test_sessions_due_a_touch_are_touched_and_one_revoked_meanwhile_is_refused(
    db_url: str, settings: Settings
) -> None:
    w = await build_world(db_url)
    db = Database(db_url)
    auth = AuthService(settings, db, Passwords(TEST_ARGON2))
    stale = utcnow() - timedelta(minutes=5)
    try:
        tokens = [await _session(db, w.users[n], last_seen_at=stale) for n in ("paul", "dana")]
        fresh = await _session(db, w.users["mia"])
        arrivals = Arrivals(db, asyncio.Semaphore(4))
        paul, dana, mia = [await arrivals.read(t) for t in (*tokens, fresh)]
        assert paul is not None and dana is not None and mia is not None
        # Dana logs out elsewhere after her socket's read: the touch must not let her in.
        async with db.session() as s:
            row = (
                await s.exec(
                    select(AuthSession).where(col(AuthSession.id) == dana.stamp.session_id)
                )
            ).one()
            row.revoked_at = utcnow()
        admitted = await asyncio.gather(*(auth.admits(a.stamp) for a in (paul, dana, mia)))
        assert admitted == [True, False, True]
        assert auth._touches.requests == 2  # Mia's session was fresh: not written
        async with db.read() as s:
            seen = dict((await s.exec(select(AuthSession.user_id, AuthSession.last_seen_at))).all())
        assert seen[w.users["paul"]] > stale + timedelta(minutes=4)
        assert seen[w.users["dana"]] == stale
    finally:
        await db.dispose()
