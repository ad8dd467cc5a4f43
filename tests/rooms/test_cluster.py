"""Several real uvicorn workers, one PostgreSQL, one Redis: everyone sees one transcript.

Clients of the same room sit on different workers; every acknowledged message must be in the
database exactly once, and every subscribed client must hold exactly the database's
transcript of the room, in seq order, with no gap and no duplicate.
"""

from __future__ import annotations

import asyncio
import os
import resource
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from odrchat.auth.passwords import Passwords
from odrchat.auth.tables import AuthSession, User
from odrchat.auth.tokens import hash_token, new_token
from odrchat.cases.tables import Case, Participant
from odrchat.rooms.presence import MemoryPresence
from odrchat.rooms.service import RoomService
from odrchat.settings import TEST_ARGON2
from odrchat.store.db import Database
from odrchat.store.types import utcnow
from tests.cluster import Client, cluster, converse, fresh_database
from tests.rooms.world import world
from tests.services import redis_url, unavailable

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]


@pytest.fixture
def db(pg_template: tuple[str, str]) -> Iterator[str]:
    with fresh_database(pg_template) as url:
        yield url


async def test_two_workers_agree_on_one_transcript(db: str, tmp_path: Path) -> None:
    """paul and mia on worker 1, dana on worker 2, all sending at once: same messages, same
    order, for everyone, equal to the database."""
    w = world(db)
    joint = w.rooms["joint"]
    with cluster(db, redis_url(), tmp_path) as cl:
        async with asyncio.timeout(120):
            paul, dana, mia = [
                await cl.client(who, n) for who, n in (("paul", 0), ("dana", 1), ("mia", 0))
            ]
            for c in (paul, dana, mia):
                await c.subscribe(joint)
            await asyncio.gather(*(converse(c, joint, 15, cl.workers) for c in (paul, dana, mia)))
            await cl.check([joint])
            assert len(await cl.transcript(joint)) == 45
            assert {c.connections for c in (paul, dana, mia)} == {1}  # nobody had to reconnect


async def test_private_room_crosses_workers_to_the_mediator_only(db: str, tmp_path: Path) -> None:
    """paul's private-room message on worker 1 reaches mia on worker 2; dana, on worker 2 too,
    is never sent a frame of that room, and cannot subscribe to it."""
    w = world(db)
    private, joint = w.rooms["private:plaintiff"], w.rooms["joint"]
    with cluster(db, redis_url(), tmp_path) as cl:
        async with asyncio.timeout(90):
            paul, mia, dana = [
                await cl.client(who, n) for who, n in (("paul", 0), ("mia", 1), ("dana", 1))
            ]
            assert private not in {r["room"] for r in dana.hello["rooms"]}
            for c in (paul, mia):
                await c.subscribe(private)
            await dana.subscribe(joint)
            await dana.send_frame({"type": "room.subscribe", "id": "peek", "room": private})
            refused = await dana.wait_for(lambda: dana.errors.get("peek"), "refusal")
            assert refused[0]["code"] == "not_found"
            ack = await paul.send(private, "My bottom line is $800")
            assert ack["type"] == "chat.ack"
            await mia.wait_for(lambda: mia.last(private) == ack["seq"], "the private message")
            # dana keeps talking in the joint room meanwhile; her socket is live and served.
            for i in range(5):
                await dana.send(joint, f"anyone there? {i}")
            await dana.wait_for(lambda: dana.last(joint) == 5, "her own messages")
            await cl.check([private, joint])
            assert all(
                f.get("room") != private for f in dana.frames[1:] if f.get("re") != "peek"
            ), "a private-room frame reached the other side"
            assert "My bottom line" not in "".join(str(f) for f in dana.frames)


# -- a reconnect storm -------------------------------------------------------------------------

PARTIES = int(os.environ.get("ODRCHAT_STORM_CLIENTS", "2000"))  # fewer only to debug the test
MEDIATORS = 20
SOURCES = 20  # loopback addresses: the server allows 200 sockets per address


@dataclass
class Crowd:
    joint: list[int]  # case index -> joint room id
    parties: list[tuple[int, str, str]]  # (case index, name, session cookie)
    mediators: list[tuple[list[int], str, str]]  # (case indexes, name, session cookie)


async def seed_crowd(db_url: str) -> Crowd:
    """PARTIES/2 cases in mediation, each with two parties; MEDIATORS mediators share them.
    Rows go straight into the database (one shared password hash, sessions made directly)."""
    db = Database(db_url)
    try:
        pw_hash = await Passwords(TEST_ARGON2).hash("correct horse battery")
        now = utcnow()
        cases = PARTIES // 2
        async with db.session() as s:
            users = [
                User(
                    email=f"p{i}@example.org",
                    display_name=f"Party {i}",
                    password_hash=pw_hash,
                    staff_role="",
                    email_verified_at=now,
                )
                for i in range(PARTIES)
            ]
            users += [
                User(
                    email=f"m{i}@example.org",
                    display_name=f"Mediator {i}",
                    password_hash=pw_hash,
                    staff_role="mediator",
                    email_verified_at=now,
                )
                for i in range(MEDIATORS)
            ]
            s.add_all(users)
            await s.flush()
            ids = [u.id for u in users if u.id is not None]
            assert len(ids) == len(users)
            cookies = [new_token() for _ in users]
            s.add_all(
                [
                    AuthSession(
                        token_hash=hash_token(c),
                        user_id=uid,
                        created_at=now,
                        last_seen_at=now,
                        expires_at=now + timedelta(days=1),
                    )
                    for c, uid in zip(cookies, ids, strict=True)
                ]
            )
            rows = [
                Case(
                    kind="small_claims",
                    status="in_mediation",
                    description=f"Case {k}",
                    initiator_side="plaintiff",
                    created_by=ids[2 * k],
                    mediator_id=ids[PARTIES + k % MEDIATORS],
                )
                for k in range(cases)
            ]
            s.add_all(rows)
            await s.flush()
            rooms = RoomService(db, MemoryPresence())
            joint = []
            for k, case in enumerate(rows):
                assert case.id is not None
                s.add_all(
                    [
                        Participant(
                            case_id=case.id,
                            user_id=ids[2 * k],
                            role="party",
                            side="plaintiff",
                            approved=True,
                        ),
                        Participant(
                            case_id=case.id,
                            user_id=ids[2 * k + 1],
                            role="party",
                            side="defendant",
                            approved=True,
                        ),
                        Participant(
                            case_id=case.id,
                            user_id=ids[PARTIES + k % MEDIATORS],
                            role="mediator",
                            approved=True,
                        ),
                    ]
                )
                joint.append(await rooms.joint_room_id(s, case.id))
        parties = [(i // 2, f"p{i}", cookies[i]) for i in range(PARTIES)]
        mediators = [
            ([k for k in range(cases) if k % MEDIATORS == m], f"m{m}", cookies[PARTIES + m])
            for m in range(MEDIATORS)
        ]
        return Crowd(joint, parties, mediators)
    finally:
        await db.dispose()


async def test_two_thousand_clients_reconnect_at_once_and_resume(db: str, tmp_path: Path) -> None:
    """2,000 parties in 1,000 joint rooms on one worker lose their connections at once; while
    they are away each room gets a message; all reconnect at the same moment (backing off on
    refusal) and resume from their last seq. Each ends with exactly its room's transcript."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # the worker inherits it
    if hard < 3 * PARTIES:
        unavailable(f"RLIMIT_NOFILE hard limit {hard} is too low for {PARTIES} sockets")
    crowd = await seed_crowd(db)
    with cluster(db, redis_url(), tmp_path, n=1) as cl:
        async with cl, asyncio.timeout(600):
            worker = cl.workers[0]
            parties = [
                cl.track(Client(name, cookie, cl.origin)) for _, name, cookie in crowd.parties
            ]
            room_of = {
                c.who: crowd.joint[k] for c, (k, _, _) in zip(parties, crowd.parties, strict=True)
            }
            mediators = [
                cl.track(Client(name, cookie, cl.origin)) for _, name, cookie in crowd.mediators
            ]
            for c in [*parties, *mediators]:
                c.bound = 300  # 2,000 handshakes queue up behind each other on one worker
            gate = asyncio.Semaphore(100)
            started = time.monotonic()

            async def join(i: int, c: Client) -> None:
                c.source = f"127.0.0.{2 + i % SOURCES}"
                c.rooms.add(room_of[c.who])
                async with gate:
                    await c.reconnect([worker], attempts=30)  # with backoff, as a browser would

            await asyncio.gather(*(join(i, c) for i, c in enumerate(parties)))
            for m in mediators:
                await m.connect(worker, source="127.0.0.250")

            async def announce(text: str) -> None:
                async def one(m: Client, cases: list[int]) -> None:
                    for k in cases:
                        await m.send(crowd.joint[k], f"{text} {k}")

                await asyncio.gather(
                    *(
                        one(m, cases)
                        for m, (cases, _, _) in zip(mediators, crowd.mediators, strict=True)
                    )
                )

            joined = time.monotonic() - started
            print(f"joined in {joined:.1f} s", flush=True)
            await announce("before")
            await asyncio.gather(*(c.reach(room_of[c.who], 1, bound=120) for c in parties))
            for c in parties:  # every connection lost at the same moment
                assert c.ws is not None
                c.ws.transport.abort()
            await asyncio.gather(*(c.closed() for c in parties))
            await announce("while you were away")

            started = time.monotonic()

            async def come_back(i: int, c: Client) -> None:
                await c.reconnect([worker], attempts=30)
                if i % 2 == 0:  # the plaintiff speaks at once, whoever else is back yet
                    await c.send(room_of[c.who], f"back {c.who}")

            await asyncio.gather(*(come_back(i, c) for i, c in enumerate(parties)))
            reconnected = time.monotonic() - started
            print(f"reconnected in {reconnected:.1f} s", flush=True)
            await asyncio.gather(*(c.reach(room_of[c.who], 3, bound=120) for c in parties))
            elapsed = time.monotonic() - started

            rows = await cl.fetch(
                "SELECT room_id, seq, client_id, body FROM room_events "
                "WHERE room_id = ANY($1::int[]) ORDER BY room_id, seq",
                crowd.joint,
            )
            log: dict[int, list[tuple[int, str]]] = {}
            for r in rows:
                log.setdefault(r["room_id"], []).append((r["seq"], r["client_id"]))
            for c in parties:
                got = [(e["seq"], e["msg_id"]) for e in c.events[room_of[c.who]]]
                assert got == log[room_of[c.who]], (c.who, got, log[room_of[c.who]])
            assert all(len(v) == 3 for v in log.values())
            retries = sum(c.failed_attempts for c in parties)
            print(
                f"{PARTIES} joined in {joined:.1f} s, reconnected in {reconnected:.1f} s, "
                f"all caught up in {elapsed:.1f} s, {retries} failed attempts retried"
            )
