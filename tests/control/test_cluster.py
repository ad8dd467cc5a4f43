"""The mediator's controls on two real workers (PostgreSQL, Redis): a change made over HTTP on
one worker reaches a client of the other within a second, and its socket is held to it.

The mediator acts on worker 0; the parties' sockets are on worker 1. Each wait is on frames
(bounded), never a sleep; the time from the mediator's answer to the frame is measured.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.cluster import Client, Cluster, cluster, fresh_database
from tests.rooms.world import World, world
from tests.services import redis_url

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

WITHIN = 1.0  # seconds: the bound for a change to reach another worker's client


@pytest.fixture
def db(pg_template: tuple[str, str]) -> Iterator[str]:
    with fresh_database(pg_template) as url:
        yield url


class Mediator:
    """The mediator's browser, acting over HTTP on one worker."""

    def __init__(self, cl: Cluster, cookie: str, worker: int) -> None:
        self.cl, self.cookie, self.url = cl, cookie, cl.workers[worker].url

    async def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        async with httpx.AsyncClient(
            base_url=self.url, timeout=30, cookies={"odr_session": self.cookie}
        ) as http:
            token = (await http.get("/api/session")).json()["csrf_token"]
            r = await http.post(
                path, json=body, headers={"X-CSRF-Token": token, "Origin": self.cl.origin}
            )
            assert r.status_code in (200, 201), r.text
            return dict(r.json())


async def within(client: Client, pred: Callable[[], Any], what: str, since: float) -> Any:
    """Wait for `pred` on the client's frames; fail if it took longer than WITHIN seconds."""
    found = await client.wait_for(pred, what, bound=10)
    took = time.monotonic() - since
    assert took < WITHIN, f"{client.who}: {what} took {took:.3f} s"
    return found


def frame(client: Client, kind: str, room: int, after: int, **match: Any) -> Callable[[], Any]:
    def pred() -> dict[str, Any] | None:
        for f in client.frames[after:]:
            if (
                f["type"] == kind
                and f.get("room") == room
                and all(_matches(f.get(k), v) for k, v in match.items())
            ):
                return f
        return None

    return pred


def _matches(got: Any, want: Any) -> bool:
    """Equal, or for a dict: holds every key of `want` with its value."""
    if isinstance(want, dict):
        return isinstance(got, dict) and all(got.get(k) == v for k, v in want.items())
    return bool(got == want)


async def test_pause_mute_hide_and_remove_hold_on_the_other_worker(db: str, tmp_path: Path) -> None:
    w: World = world(db)
    joint, private = w.rooms["joint"], w.rooms["private:plaintiff"]
    case = w.case_id
    with cluster(db, redis_url(), tmp_path) as cl:
        async with cl, asyncio.timeout(120):
            mia = Mediator(cl, await cl.login("mia", 0), 0)
            watcher = await cl.client("mia", 0)
            paul, dana = await cl.client("paul", 1), await cl.client("dana", 1)
            for c in (paul, dana, watcher):
                await c.subscribe(joint)
            await paul.subscribe(private)

            # -- pause: both parties' sockets on worker 1 stop writing at once -----------------
            mark = len(paul.frames)
            await mia.post(f"/api/cases/{case}/control/pause", {"paused": True})
            since = time.monotonic()
            await within(paul, frame(paul, "control.paused", joint, mark), "control.paused", since)
            await within(
                paul,
                frame(
                    paul, "room.updated", joint, mark, writable=False, control={"block": "paused"}
                ),
                "room.updated (paused)",
                since,
            )
            refused = await dana.send(joint, "Let me speak!")
            assert refused["type"] == "error" and refused["code"] == "forbidden"
            assert refused["block"] == "paused"  # the browser words it from its catalog
            assert (await watcher.send(joint, "Let us take a breath."))["type"] == "chat.ack"
            assert (await paul.send(private, "Thank you."))["type"] == "chat.ack"
            mark = len(paul.frames)
            await mia.post(f"/api/cases/{case}/control/pause", {"paused": False})
            since = time.monotonic()
            await within(
                paul, frame(paul, "room.updated", joint, mark, writable=True), "resumed", since
            )
            assert (await paul.send(joint, "Back again."))["type"] == "chat.ack"

            # -- mute dana: she is refused, paul is not -----------------------------------------
            mark = len(dana.frames)
            await mia.post(
                f"/api/cases/{case}/control/mute", {"user_id": w.users["dana"], "minutes": 5}
            )
            since = time.monotonic()
            got = await within(
                dana,
                frame(
                    dana, "room.updated", joint, mark, writable=False, control={"block": "muted"}
                ),
                "room.updated (muted)",
                since,
            )
            assert got["control"]["muted_until"]
            refused = await dana.send(joint, "You cannot silence me")
            assert refused["type"] == "error" and refused["code"] == "forbidden"
            assert refused["block"] == "muted"
            assert (await paul.send(joint, "I can still write."))["type"] == "chat.ack"
            await mia.post(
                f"/api/cases/{case}/control/mute", {"user_id": w.users["dana"], "minutes": 0}
            )
            await dana.wait_for(
                frame(dana, "room.updated", joint, mark, writable=True), "unmuted", 10
            )
            rude = await dana.send(joint, "RUDE-WORDS you fool")
            assert rude["type"] == "chat.ack"

            # -- hide: the notice reaches paul at once; his history no longer holds the text ----
            mark = len(paul.frames)
            await mia.post(
                f"/api/rooms/{joint}/messages/{rude['seq']}/hide", {"reason": "An insult."}
            )
            since = time.monotonic()
            await within(
                paul,
                frame(paul, "control.hidden", joint, mark, target_seq=rude["seq"]),
                "control.hidden",
                since,
            )
            await paul.wait_for(frame(paul, "room.updated", joint, mark), "room.updated", 10)
            await paul.send_frame(
                {
                    "type": "room.history",
                    "id": "h1",
                    "room": joint,
                    "before": rude["seq"] + 1,
                    "limit": 1,
                }
            )
            page = await paul.wait_for(
                lambda: next((f for f in paul.frames if f.get("re") == "h1"), None), "history", 10
            )
            assert page["events"] == [
                {
                    "type": "chat.message",
                    "room": joint,
                    "seq": rude["seq"],
                    "at": page["events"][0]["at"],
                    "hidden": True,
                }
            ]
            await watcher.send_frame(
                {
                    "type": "room.history",
                    "id": "h2",
                    "room": joint,
                    "before": rude["seq"] + 1,
                    "limit": 1,
                }
            )
            mine = await watcher.wait_for(
                lambda: next((f for f in watcher.frames if f.get("re") == "h2"), None),
                "history",
                10,
            )
            assert mine["events"][0]["hidden"] is True
            assert mine["events"][0]["text"] == "RUDE-WORDS you fool"

            # -- remove paul from the joint room: his subscription there ends on worker 1 -------
            mark = len(paul.frames)
            await mia.post(
                f"/api/cases/{case}/control/remove",
                {"user_id": w.users["paul"], "reason": "Repeated threats."},
            )
            since = time.monotonic()
            await within(paul, frame(paul, "room.closed", joint, mark), "room.closed", since)
            await paul.send_frame({"type": "room.subscribe", "id": "again", "room": joint})
            again = await paul.wait_for(lambda: paul.errors.get("again"), "refusal", 10)
            assert again[0]["code"] == "not_found"
            refused = await paul.send(joint, "Let me back in")
            assert refused["type"] == "error" and refused["code"] == "not_found"
            assert (await paul.send(private, "Why was I removed?"))["type"] == "chat.ack"
            assert "Repeated threats" not in str(paul.frames) + str(dana.frames)


async def test_caucus_and_a_relay_reach_the_other_side_without_its_source(
    db: str, tmp_path: Path
) -> None:
    """In caucus mode dana (worker 1) reads paul's words only as the mediator's relay, in her
    private room; no frame she receives holds anything else of paul's private room."""
    w: World = world(db)
    joint = w.rooms["joint"]
    paul_room, dana_room = w.rooms["private:plaintiff"], w.rooms["private:defendant"]
    case = w.case_id
    with cluster(db, redis_url(), tmp_path) as cl:
        async with cl, asyncio.timeout(120):
            mia = Mediator(cl, await cl.login("mia", 0), 0)
            paul = await cl.client("paul", 0)
            dana = await cl.client("dana", 1)
            await paul.subscribe(paul_room)
            for room in (joint, dana_room):
                await dana.subscribe(room)
            mark = len(dana.frames)
            await mia.post(f"/api/cases/{case}/control/caucus", {"on": True})
            since = time.monotonic()
            await within(dana, frame(dana, "control.caucus", joint, mark, on=True), "caucus", since)
            await within(
                dana,
                frame(dana, "room.updated", joint, mark, writable=False, control={"caucus": True}),
                "room.updated (caucus)",
                since,
            )
            await paul.send(paul_room, "SECRET-my-bottom-line-is-800")
            words = await paul.send(paul_room, "I would take 600 in two payments.")
            relay = await mia.post(f"/api/rooms/{paul_room}/relays", {"seq": words["seq"]})
            assert relay["status"] == "awaiting_consent"
            # paul consents (his own words, as written).
            async with httpx.AsyncClient(
                base_url=cl.workers[0].url, timeout=30, cookies={"odr_session": paul.cookie}
            ) as http:
                token = (await http.get("/api/session")).json()["csrf_token"]
                r = await http.post(
                    f"/api/relays/{relay['id']}/confirm",
                    headers={"X-CSRF-Token": token, "Origin": cl.origin},
                )
                assert r.status_code == 200, r.text
                # dana cannot fetch the relay's source, nor learn the relay exists.
            async with httpx.AsyncClient(
                base_url=cl.workers[1].url, timeout=30, cookies={"odr_session": dana.cookie}
            ) as http:
                token = (await http.get("/api/session")).json()["csrf_token"]
                for path in (
                    f"/api/relays/{relay['id']}/confirm",
                    f"/api/relays/{relay['id']}/decline",
                ):
                    r = await http.post(path, headers={"X-CSRF-Token": token, "Origin": cl.origin})
                    assert r.status_code == 404, r.text
                r = await http.get(f"/api/cases/{case}/transcript")
                assert r.status_code == 200 and "SECRET" not in r.text
            got = await dana.wait_for(
                frame(dana, "relay.message", dana_room, mark), "relay.message", 10
            )
            assert {k: v for k, v in got.items() if k not in ("seq", "at")} == {
                "type": "relay.message",
                "room": dana_room,
                "relay_id": relay["id"],
                "text": "I would take 600 in two payments.",
                "from_side": "plaintiff",
                "by": {"id": w.users["mia"], "name": "Mia", "role": "mediator", "side": None},
            }
            await paul.wait_for(frame(paul, "relay.shared", paul_room, 0), "relay.shared", 10)
            everything = str(dana.frames)
            assert "SECRET" not in everything
            assert all(f.get("room") != paul_room for f in dana.frames)
            assert str(words["seq"]) not in [str(f.get("source_seq")) for f in dana.frames]
