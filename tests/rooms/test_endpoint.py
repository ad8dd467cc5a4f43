"""The /ws endpoint end to end through the app (TestClient: one event loop for every socket)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from odrchat.rooms import log
from odrchat.settings import Settings
from odrchat.store.db import Database
from odrchat.store.types import utcnow
from tests.helpers import client_for, login, post
from tests.rooms.world import PASSWORD, World, world
from tests.services import run_sync

ORIGIN = {"origin": "http://testserver"}


def session_cookie(client: TestClient, who: str) -> str:
    """Log `who` in and return their session cookie (the client's jar is left empty)."""
    login(client, f"{who}@example.org", PASSWORD)
    token = client.cookies["odr_session"]
    client.cookies.clear()
    return token


@contextmanager
def socket(client: TestClient, who: str) -> Iterator[Any]:
    """A socket logged in as `who`; every socket of a test shares the one app and loop."""
    token = session_cookie(client, who)
    with client.websocket_connect(
        "/ws", headers={**ORIGIN, "cookie": f"odr_session={token}"}
    ) as ws:
        hello = ws.receive_json()
        assert hello["type"] == "hello" and hello["v"] == 1
        ws.hello = hello
        ws.frames = []
        yield ws


def until(ws: Any, type_: str, **match: Any) -> dict[str, Any]:
    """Read frames until one of `type_` (matching the given fields) arrives; return it."""
    for _ in range(2000):
        frame = ws.receive_json()
        ws.frames.append(frame)
        if frame["type"] == type_ and all(frame.get(k) == v for k, v in match.items()):
            return frame
    raise AssertionError(f"no {type_} frame")


def subscribe(
    ws: Any, room: int, after: int | None = None
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Subscribe; return the snapshot and the events replayed before room.synced."""
    frame: dict[str, Any] = {"type": "room.subscribe", "id": f"s{room}", "room": room}
    if after is not None:
        frame["after"] = after
    ws.send_json(frame)
    snapshot = until(ws, "room.snapshot", room=room)
    events = []
    while True:
        f = ws.receive_json()
        if f["type"] == "room.synced" and f["room"] == room:
            return snapshot, events
        if "seq" in f and f.get("room") == room:
            events.append(f)


def send(ws: Any, room: int, text: str, msg_id: str) -> dict[str, Any]:
    ws.send_json({"type": "chat.send", "id": msg_id, "room": room, "text": text})
    return until(ws, "chat.ack", re=msg_id)


@pytest.fixture
def w(db_url: str) -> World:
    return world(db_url)


def test_joint_room_fan_out_in_order(settings: Settings, w: World) -> None:
    joint = w.rooms["joint"]
    with (
        client_for(settings) as c,
        socket(c, "paul") as paul,
        socket(c, "dana") as dana,
        socket(c, "mia") as mia,
    ):
        for ws in (paul, dana, mia):
            snapshot, _ = subscribe(ws, joint, after=0)
            assert snapshot["title"] == "Joint" and snapshot["writable"] is True
        ack = send(paul, joint, "Hello <b>everyone</b> — I'd like to settle.", "m1")
        assert ack["seq"] == 1 and ack["duplicate"] is False
        ack2 = send(dana, joint, "Me too.", "m2")
        assert ack2["seq"] == 2
        for ws in (paul, dana, mia):
            if not any(f["type"] == "chat.message" and f["seq"] == 2 for f in ws.frames):
                until(ws, "chat.message", seq=2)
            chats = [f for f in ws.frames if f["type"] == "chat.message"]
            assert [f["seq"] for f in chats] == [1, 2]
            first, second = chats
            assert first["text"] == "Hello <b>everyone</b> — I'd like to settle."  # verbatim
            assert first["sender"]["name"] == "Paul" and second["sender"]["name"] == "Dana"


def test_private_room_is_invisible_to_the_other_side(settings: Settings, w: World) -> None:
    mine, theirs = w.rooms["private:plaintiff"], w.rooms["private:defendant"]
    with client_for(settings) as c, socket(c, "paul") as paul, socket(c, "dana") as dana:
        visible = {r["room"] for r in dana.hello["rooms"]}
        assert mine not in visible and theirs in visible
        dana.send_json({"type": "room.subscribe", "id": "x", "room": mine})
        refused = until(dana, "error", re="x")
        assert refused["code"] == "not_found"
        snapshot, _ = subscribe(paul, mine, after=0)
        assert snapshot["title"] == "Paul + Mediator"
        assert {a["name"] for a in snapshot["audience"]} == {
            "Paul",
            "Alex",
            "Mia",
            "CCR administration",
        }
        send(paul, mine, "My bottom line is $800", "p1")
        dana.send_json({"type": "chat.send", "id": "d1", "room": mine, "text": "let me in"})
        assert until(dana, "error", re="d1")["code"] == "not_found"
        subscribe(dana, w.rooms["joint"], after=0)
        send(dana, w.rooms["joint"], "marker", "d2")
        frame = until(dana, "chat.message", msg_id="d2")
        assert frame["room"] == w.rooms["joint"]


def test_resume_delivers_every_missed_message_once(settings: Settings, w: World) -> None:
    joint = w.rooms["joint"]
    with client_for(settings) as c:
        with socket(c, "paul") as paul:
            subscribe(paul, joint, after=0)
            for i in range(7):
                send(paul, joint, f"message {i}", f"m{i}")
        with socket(c, "dana") as dana:
            _, events = subscribe(dana, joint, after=3)
            assert [e["seq"] for e in events] == [4, 5, 6, 7]
            assert [e["text"] for e in events] == [
                "message 3",
                "message 4",
                "message 5",
                "message 6",
            ]
            _, latest = subscribe(dana, joint)  # no `after`: the latest page
            assert [e["seq"] for e in latest] == [1, 2, 3, 4, 5, 6, 7]


def test_resend_with_the_same_client_id_stores_once(settings: Settings, w: World) -> None:
    joint = w.rooms["joint"]
    with client_for(settings) as c1, socket(c1, "paul") as paul:
        subscribe(paul, joint, after=0)
        first = send(paul, joint, "only once", "same-id")
        again = send(paul, joint, "only once", "same-id")
        assert again["duplicate"] is True and again["seq"] == first["seq"]
        nxt = send(paul, joint, "next", "other-id")
        assert nxt["seq"] == first["seq"] + 1


def test_a_client_id_reused_for_different_text_is_refused(settings: Settings, w: World) -> None:
    """A client id is unique per sender and room: the same id with the same text is the same
    message (acked as a duplicate), with other text it is refused (`client_id_reused`) and
    nothing is stored, also when both arrive at once from two sockets; in another room it is a
    new message. On each storage backend."""
    joint, mine = w.rooms["joint"], w.rooms["private:plaintiff"]
    with client_for(settings) as c1, socket(c1, "paul") as paul, socket(c1, "paul") as tab:
        subscribe(paul, joint, after=0)
        first = send(paul, joint, "the offer stands", "m1")
        paul.send_json({"type": "chat.send", "id": "m1", "room": joint, "text": "it is off"})
        refused = answer(paul, "m1")
        assert refused.get("code") == "client_id_reused" and "retryable" not in refused, refused
        again = send(paul, joint, "the offer stands", "m1")
        assert again["duplicate"] is True and again["seq"] == first["seq"]
        for ws, text in ((paul, "one"), (tab, "two")):
            ws.send_json({"type": "chat.send", "id": "m2", "room": joint, "text": text})
        answers = {ws_text: answer(ws, "m2") for ws, ws_text in ((paul, "one"), (tab, "two"))}
        kept = next(t for t, a in answers.items() if a["type"] == "chat.ack")
        assert sorted(a.get("code", "") for a in answers.values()) == ["", "client_id_reused"]
        elsewhere = send(paul, mine, "the offer stands", "m1")
        assert elsewhere["duplicate"] is False

    async def texts() -> list[str]:
        db = Database(settings.database_url)
        try:
            async with db.read() as s:
                events = await log.events_after(s, joint, 0, 100)
        finally:
            await db.dispose()
        return [e.body["text"] for e in events if e.type == "chat.message"]

    assert run_sync(texts()) == ["the offer stands", kept]


def answer(ws: Any, msg_id: str) -> dict[str, Any]:
    """The ack or the error that answers this client id."""
    for _ in range(200):
        frame = ws.receive_json()
        if frame["type"] in ("chat.ack", "error") and frame.get("re") == msg_id:
            return dict(frame)
    raise AssertionError(f"no answer to {msg_id}")


def test_bad_frames_get_errors_and_the_socket_keeps_working(settings: Settings, w: World) -> None:
    joint = w.rooms["joint"]
    with client_for(settings) as c1, socket(c1, "paul") as paul:
        paul.send_text("{not json")
        assert until(paul, "error")["code"] == "bad_json"
        paul.send_bytes(b"\x00\x01")
        assert until(paul, "error")["code"] == "bad_json"
        paul.send_json({"type": "chat.explode", "id": "u"})
        assert until(paul, "error", re="u")["code"] == "unknown_type"
        paul.send_json({"type": "chat.send", "id": "t", "room": "joint", "text": 5})
        err = until(paul, "error", re="t")
        assert err["code"] == "bad_frame" and set(err["fields"]) == {"room", "text"}
        paul.send_json({"type": "chat.send", "id": "long", "room": joint, "text": "x" * 4001})
        assert until(paul, "error", re="long")["code"] == "too_long"
        paul.send_json({"type": "chat.send", "id": "blank", "room": joint, "text": "  \n "})
        assert until(paul, "error", re="blank")["code"] == "bad_frame"
        paul.send_json({"type": "room.subscribe", "id": "big", "room": 2**60})
        assert until(paul, "error", re="big")["code"] == "bad_frame"
        paul.send_text(
            json.dumps({"type": "chat.send", "id": "sur", "room": joint, "text": "\ud800"})
        )
        assert until(paul, "error", re="sur")["code"] == "bad_frame"
        subscribe(paul, joint, after=0)
        assert send(paul, joint, "still here", "ok")["seq"] == 1


def test_a_client_that_keeps_sending_garbage_is_closed(settings: Settings, w: World) -> None:
    with client_for(settings) as c1, socket(c1, "paul") as paul:
        for _ in range(21):
            paul.send_text("garbage")
        with pytest.raises(WebSocketDisconnect) as closed:
            for _ in range(100):
                paul.receive_json()
        assert closed.value.code == 4400


def test_observer_and_admin_read_but_never_write(settings: Settings, w: World) -> None:
    joint = w.rooms["joint"]
    with client_for(settings) as c, socket(c, "otto") as otto, socket(c, "admin") as admin:
        visible = {r["room"] for r in otto.hello["rooms"]}
        assert visible == {joint, w.rooms["mediators"]}
        snapshot, _ = subscribe(otto, joint, after=0)
        assert snapshot["writable"] is False
        otto.send_json({"type": "chat.send", "id": "o1", "room": joint, "text": "hi"})
        assert until(otto, "error", re="o1")["code"] == "forbidden"
        assert admin.hello["rooms"] == []  # admins open cases explicitly (each view audited)
        snapshot, _ = subscribe(admin, w.rooms["private:defendant"], after=0)
        assert snapshot["writable"] is False
        admin.send_json({"type": "chat.send", "id": "a1", "room": joint, "text": "hi"})
        assert until(admin, "error", re="a1")["code"] == "forbidden"


def test_outsiders_and_anonymous_get_nothing(settings: Settings, w: World) -> None:
    with client_for(settings) as c1, socket(c1, "eve") as eve:
        assert eve.hello["rooms"] == []
        for room in w.rooms.values():
            eve.send_json({"type": "room.subscribe", "id": "e", "room": room})
            assert until(eve, "error", re="e")["code"] == "not_found"
    with client_for(settings) as anon, anon.websocket_connect("/ws", headers=ORIGIN) as ws:
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
        assert closed.value.code == 4401


def test_foreign_missing_or_null_origin_is_refused(settings: Settings, w: World) -> None:
    with client_for(settings) as c:
        login(c, "paul@example.org", PASSWORD)
        for headers in ({"origin": "https://evil.example"}, {"origin": "null"}, {}):
            with (
                pytest.raises(WebSocketDisconnect) as refused,
                c.websocket_connect("/ws", headers=headers),
            ):
                pass
            assert refused.value.code == 1008


def test_sending_too_fast_is_told_once_and_a_client_that_waits_gets_everything_stored(
    settings: Settings, db_url: str, w: World
) -> None:
    """30 messages at once: the burst of 20 is stored, the first refused one is answered with
    rate_limited and the rest of that wait get no answer (docs/protocol.md, "Rate limits");
    resending whatever has no ack after retry_after_ms stores every one, once."""
    joint = w.rooms["joint"]
    with client_for(settings) as c1, socket(c1, "paul") as paul:
        subscribe(paul, joint, after=0)
        for i in range(30):
            paul.send_json({"type": "chat.send", "id": f"r{i}", "room": joint, "text": str(i)})
        refused = until(paul, "error")
        assert refused["code"] == "rate_limited" and refused["retry_after_ms"] > 0
        acked = {f["re"] for f in paul.frames if f["type"] == "chat.ack"}
        assert len(acked) >= 20 and refused["re"] not in acked
        wait = refused["retry_after_ms"] / 1000
        for i in range(30):
            msg_id = f"r{i}"
            if msg_id in acked:
                continue
            for _ in range(20):
                time.sleep(wait)  # the server's instruction
                paul.send_json({"type": "chat.send", "id": msg_id, "room": joint, "text": str(i)})
                reply = _answer(paul, msg_id)
                if reply["type"] == "chat.ack":
                    break
                assert reply["code"] == "rate_limited"
                wait = reply["retry_after_ms"] / 1000
            acked.add(msg_id)
        # Every message stored exactly once.
        rows = run_sync(_client_ids(db_url, joint))
        assert sorted(rows) == sorted(f"r{i}" for i in range(30))


def _answer(ws: Any, msg_id: str) -> dict[str, Any]:
    """The ack or the error that answers `msg_id`."""
    for _ in range(2000):
        frame = ws.receive_json()
        ws.frames.append(frame)
        if frame.get("re") == msg_id and frame["type"] in ("chat.ack", "error"):
            return frame
    raise AssertionError(f"no answer to {msg_id}")


async def _client_ids(url: str, room: int) -> list[str]:
    db = Database(url)
    try:
        async with db.read() as s:
            events = await log.events_after(s, room, 0, 1000)
        return [e.client_id for e in events if e.client_id]
    finally:
        await db.dispose()


def test_closed_case_rooms_are_read_only(settings: Settings, db_url: str) -> None:
    w = world(db_url, status="impasse")
    with client_for(settings) as c1, socket(c1, "paul") as paul:
        snapshot, _ = subscribe(paul, w.rooms["joint"], after=0)
        assert snapshot["writable"] is False
        paul.send_json({"type": "chat.send", "id": "c", "room": w.rooms["joint"], "text": "hi"})
        assert until(paul, "error", re="c")["code"] == "forbidden"


def test_logout_closes_the_users_sockets(settings: Settings, w: World) -> None:
    with client_for(settings) as c1, socket(c1, "paul") as paul:
        login(c1, "paul@example.org", PASSWORD)  # a second session of the same user
        token = session_cookie(c1, "paul")
        c1.cookies.set("odr_session", token)
        assert post(c1, "/api/auth/logout", {}).status_code == 200
        # Logging out ended only that session; the socket above belongs to another one, so
        # revoke everything through a password change instead.
        login(c1, "paul@example.org", PASSWORD)
        assert (
            post(
                c1,
                "/api/auth/password/change",
                {"current_password": PASSWORD, "new_password": "another long password"},
            ).status_code
            == 200
        )
        with pytest.raises(WebSocketDisconnect) as closed:
            for _ in range(10):
                paul.receive_json()
        assert closed.value.code == 4401


def test_too_many_missed_messages_are_paged(settings: Settings, db_url: str, w: World) -> None:
    """545 missed events: the first 500, then room.behind whose head is the room's head (545,
    as in the snapshot), not the last event sent plus one; the next page brings the rest."""
    joint = w.rooms["joint"]
    seed_messages(db_url, joint, w.users["mia"], 545)
    with client_for(settings) as c, socket(c, "dana") as dana:
        dana.send_json({"type": "room.subscribe", "id": "p", "room": joint, "after": 0})
        seqs = []
        while True:
            f = dana.receive_json()
            if f["type"] == "room.snapshot":
                snapshot = f
            if f["type"] == "chat.message":
                seqs.append(f["seq"])
            if f["type"] == "room.behind":
                break
        assert seqs == list(range(1, 501)) and f["after"] == 500
        assert f["head"] == snapshot["head"] == 545
        _, rest = subscribe(dana, joint, after=500)
        assert [e["seq"] for e in rest] == list(range(501, 546))


def seed_messages(db_url: str, room: int, sender: int, count: int) -> None:
    """Store `count` chat messages straight through the room log."""

    async def run() -> None:
        db = Database(db_url)
        try:
            async with db.session() as s:
                for i in range(count):
                    await log.append(
                        s,
                        room,
                        "chat.message",
                        {
                            "msg_id": f"seed{i}",
                            "text": str(i),
                            "sender": {
                                "id": sender,
                                "name": "Mia",
                                "role": "mediator",
                                "side": None,
                            },
                        },
                        confidentiality="joint",
                        at=utcnow(),
                        sender_id=sender,
                        client_id=f"seed{i}",
                    )
        finally:
            await db.dispose()

    run_sync(run())


def test_a_subscription_answer_starts_with_the_snapshot(settings: Settings, w: World) -> None:
    """The subscriber's own presence is in the snapshot, not a frame ahead of it (issue 20);
    live frames of a room stop with room.unsubscribed."""
    joint = w.rooms["joint"]
    with client_for(settings) as c, socket(c, "paul") as paul, socket(c, "dana") as dana:
        paul_id = paul.hello["user"]["id"]
        for ws in (paul, dana):
            ws.send_json({"type": "room.subscribe", "id": "s", "room": joint, "after": 0})
            until(ws, "room.synced", room=joint)
            about = [f for f in ws.frames if f.get("room") == joint]
            assert about[0]["type"] == "room.snapshot", [f["type"] for f in about]
            assert paul_id in about[0]["presence"]
        dana.send_json({"type": "room.unsubscribe", "id": "u", "room": joint})
        until(dana, "room.unsubscribed", re="u")
        left = len(dana.frames)
        paul.send_json({"type": "typing", "room": joint, "on": True})
        send(paul, joint, "after dana left", "m1")
        dana.send_json({"type": "room.history", "id": "h", "room": joint, "before": 10})
        assert until(dana, "error", re="h")["code"] == "not_subscribed"
        assert [f for f in dana.frames[left:] if f.get("room") == joint] == []


def test_rooms_one_may_not_read_answer_as_documented(settings: Settings, w: World) -> None:
    """docs/protocol.md, "Rooms one may not read": dana and paul's private room."""
    theirs = w.rooms["private:plaintiff"]
    with client_for(settings) as c, socket(c, "dana") as dana, socket(c, "otto") as otto:
        for i, frame in enumerate(
            [
                {"type": "room.subscribe", "room": theirs},
                {"type": "chat.send", "room": theirs, "text": "hi"},
                {"type": "room.history", "room": theirs, "before": 5},
                {"type": "typing", "room": theirs, "on": True},
                {"type": "read.mark", "room": theirs, "seq": 1},
                {"type": "message.flag", "room": theirs, "seq": 1, "reason": "x"},
            ]
        ):
            dana.send_json({**frame, "id": f"f{i}"})
            expected = "not_found" if i < 2 else "not_subscribed"
            assert until(dana, "error", re=f"f{i}")["code"] == expected, frame
        dana.send_json({"type": "room.unsubscribe", "id": "u", "room": theirs})
        assert until(dana, "room.unsubscribed", re="u")["room"] == theirs
        # Typing where one may read but not write is refused like chat.send.
        subscribe(otto, w.rooms["joint"], after=0)
        otto.send_json({"type": "typing", "id": "t", "room": w.rooms["joint"], "on": True})
        assert until(otto, "error", re="t")["code"] == "forbidden"


def test_rooms_subscribed_together_are_answered_in_order(settings: Settings, w: World) -> None:
    """A mediator's socket asks for all of its rooms at once: each gets its snapshot and its
    room.synced, in the order asked (the writer opens the subscriptions it finds queued
    together in one read: tests/rooms/test_replays.py)."""
    rooms = [w.rooms[k] for k in ("joint", "private:plaintiff", "private:defendant")]
    with client_for(settings) as c, socket(c, "mia") as mia:
        for room in rooms:
            mia.send_json({"type": "room.subscribe", "id": f"s{room}", "room": room, "after": 0})
        until(mia, "room.synced", room=rooms[-1])
        answers = [(f["type"], f["room"]) for f in mia.frames if f.get("room") in rooms]
        assert answers == [(t, r) for r in rooms for t in ("room.snapshot", "room.synced")]
