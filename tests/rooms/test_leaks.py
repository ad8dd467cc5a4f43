"""No leaks across sides, under random interleavings on two real workers.

Hypothesis drives random sequences of sends (by any member, into any room, allowed or not),
subscribes, unsubscribes, typing and reconnections to either worker, against two uvicorn
workers that stay up for the whole test. After every sequence each socket's frames are checked
against an expectation written out here by hand (not taken from `rooms.access`): nobody is ever
sent a frame of a room they may not read, nor the text of one; a refused send is refused with
the right code; each readable room's events arrive complete and in order, and none arrive
between an unsubscribe and the next subscribe.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.cluster import Client, Cluster, cluster, fresh_database, is_stored
from tests.rooms.world import World, world
from tests.services import redis_url

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

PEOPLE = ("paul", "alex", "dana", "mia", "otto", "admin", "eve")
ROOMS = ("joint", "private:plaintiff", "private:defendant", "mediators")
# Who may read which room of the case, and who may write there (the FAQ, by hand).
READS = {
    "paul": {"joint", "private:plaintiff"},
    "alex": {"joint", "private:plaintiff"},
    "dana": {"joint", "private:defendant"},
    "mia": set(ROOMS),
    "otto": {"joint", "mediators"},
    "admin": set(ROOMS),
    "eve": set(),
}
WRITES = {
    "paul": {"joint", "private:plaintiff"},
    "alex": {"joint", "private:plaintiff"},
    "dana": {"joint", "private:defendant"},
    "mia": set(ROOMS),
}

who = st.sampled_from(PEOPLE)
room = st.sampled_from(ROOMS)
action = st.one_of(
    st.tuples(st.just("send"), who, room),
    st.tuples(st.just("subscribe"), who, room),
    st.tuples(st.just("unsubscribe"), who, room),
    st.tuples(st.just("typing"), who, room),
    st.tuples(st.just("reconnect"), who, st.integers(0, 1)),
)


def marker(key: str) -> str:
    return f"SECRET[{key}]"


@dataclass
class Stage:
    cl: Cluster
    w: World
    clients: dict[str, Client]
    checked: dict[str, int] = field(default_factory=dict)  # frames already checked
    sends: int = 0

    def key_of(self, room_id: int) -> str:
        return next(k for k, v in self.w.rooms.items() if v == room_id)


async def open_stage(cl: Cluster, w: World) -> Stage:
    clients = {}
    for i, name in enumerate(PEOPLE):
        c = cl.track(Client(name, await cl.login(name, i % 2), cl.origin))
        await c.connect(cl.workers[i % 2])
        clients[name] = c
    return Stage(cl, w, clients)


async def ask(c: Client, frame: dict[str, Any], done: str) -> dict[str, Any]:
    """Send a frame with a fresh id; its error, or the first `done` frame that answers it."""
    frame["id"] = rid = f"q{uuid.uuid4().hex[:10]}"
    start = len(c.frames)
    await c.send_frame(frame)

    def answer() -> dict[str, Any] | None:
        for f in c.frames[start:]:
            if f.get("re") == rid and f["type"] in (done, "error"):
                return f
            if done == "room.synced" and f["type"] == done and f["room"] == frame["room"]:
                return f
        return None

    return await c.wait_for(answer, f"answer to {frame['type']}")


async def play(stage: Stage, actions: list[tuple[Any, ...]]) -> None:
    for act in actions:
        kind, name = act[0], act[1]
        c = stage.clients[name]
        if kind == "reconnect":
            await c.abort()
            await c.reconnect([stage.cl.workers[act[2]]])
            continue
        key = act[2]
        room_id = stage.w.rooms[key]
        if kind == "send":
            stage.sends += 1
            reply = await c.send(room_id, f"{marker(key)} {name} {stage.sends}")
            if key in WRITES.get(name, set()):
                assert reply["type"] == "chat.ack", (name, key, reply)
            else:
                expected = "forbidden" if key in READS[name] else "not_found"
                assert reply["type"] == "error" and reply["code"] == expected, (name, key, reply)
        elif kind == "subscribe":
            reply = await ask(
                c,
                {"type": "room.subscribe", "room": room_id, "after": c.last(room_id)},
                "room.synced",
            )
            if key in READS[name]:
                assert reply["type"] == "room.synced", (name, key, reply)
                c.rooms.add(room_id)
            else:
                assert reply["type"] == "error" and reply["code"] == "not_found", reply
        elif kind == "unsubscribe":
            await ask(c, {"type": "room.unsubscribe", "room": room_id}, "room.unsubscribed")
            c.rooms.discard(room_id)
        elif kind == "typing":
            await c.send_frame({"type": "typing", "room": room_id, "on": True})


async def settle_and_check(stage: Stage) -> None:
    """Wait until every socket has what it should of its rooms, then check every new frame."""
    heads = {
        r["id"]: r["head_seq"]
        for r in await stage.cl.fetch(
            "SELECT id, head_seq FROM rooms WHERE id = ANY($1::int[])", list(stage.w.rooms.values())
        )
    }
    for c in stage.clients.values():
        for room_id in c.rooms:
            await c.reach(room_id, heads[room_id])
    for name, c in stage.clients.items():
        forbidden = {stage.w.rooms[k] for k in ROOMS if k not in READS[name]}
        secrets = [marker(k) for k in ROOMS if k not in READS[name]]
        for f in c.frames[stage.checked.get(name, 0) :]:
            text = json.dumps(f)
            if f["type"] != "room.unsubscribed":  # that one only echoes the client's request
                assert f.get("room") not in forbidden, (name, f)
            assert not any(s in text for s in secrets), (name, f)
            if f["type"] == "hello":
                assert {r["room"] for r in f["rooms"]} <= {stage.w.rooms[k] for k in READS[name]}
        stage.checked[name] = len(c.frames)
        watching: set[int] = set()
        for f in c.frames:  # nothing stored arrives between unsubscribed and the next snapshot
            if f["type"] == "hello":
                watching.clear()
            elif f["type"] == "room.snapshot":
                watching.add(f["room"])
            elif f["type"] == "room.unsubscribed":
                watching.discard(f["room"])
            elif is_stored(f):
                assert f["room"] in watching, (name, f)
        for room_id, events in c.events.items():
            assert [e["seq"] for e in events] == list(range(1, len(events) + 1)), (name, room_id)


@pytest.fixture
def db(pg_template: tuple[str, str]) -> Iterator[str]:
    with fresh_database(pg_template) as url:
        yield url


def test_no_frame_of_a_room_reaches_anyone_who_may_not_read_it(db: str, tmp_path: Path) -> None:
    w = world(db)
    with cluster(db, redis_url(), tmp_path) as cl:
        loop = asyncio.new_event_loop()
        try:
            stage = loop.run_until_complete(open_stage(cl, w))

            @settings(
                max_examples=30,
                deadline=None,
                database=None,
                suppress_health_check=[HealthCheck.too_slow],
            )
            @given(st.lists(action, min_size=1, max_size=20))
            def interleaving(actions: list[tuple[Any, ...]]) -> None:
                async def run() -> None:
                    async with asyncio.timeout(120):
                        await play(stage, actions)
                        await settle_and_check(stage)

                loop.run_until_complete(run())

            interleaving()
            loop.run_until_complete(stage.cl.check(list(w.rooms.values())))
            assert stage.sends > 0
        finally:
            loop.run_until_complete(cl.__aexit__())
            loop.close()
