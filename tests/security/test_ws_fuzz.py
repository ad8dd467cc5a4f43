"""Property-based fuzzing of the WebSocket protocol through the app.

Whatever a client sends (broken JSON, wrong types, missing and extra fields, deep nesting, binary
frames, lone surrogates, bidi overrides, NUL, out-of-range numbers), the server answers with
documented `error` frames or a documented close code, never a traceback or a file path, and
keeps serving everyone else. After each fuzzed frame a probe frame (an unsubscribe with its own
id) marks the end of the answer, so every reply is attributed to the frame that caused it.
"""

from __future__ import annotations

import json
import logging
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from odrchat import protocol
from odrchat.records import verify_all
from odrchat.settings import Settings
from odrchat.store.db import Database
from tests.security.world import World, app_for, headers
from tests.services import run_sync

SERVER_TYPES = {
    "hello",
    "room.snapshot",
    "room.synced",
    "room.behind",
    "room.unsubscribed",
    "room.updated",
    "room.closed",
    "room.history",
    "chat.ack",
    "typing",
    "presence",
    "read",
    "message.flagged",
    "error",
    "chat.message",
}
STORED_PREFIXES = ("case.", "offer.", "agreement.", "document.", "control.", "relay.")
ERROR_CODES = {
    "bad_json",
    "bad_frame",
    "unknown_type",
    "not_found",
    "forbidden",
    "too_long",
    "rate_limited",
    "unavailable",
    "not_subscribed",
    "client_id_reused",
}
CLOSE_CODES = {4400, 1009}  # too many bad frames; a frame over 64 KiB
LEAKS = ("Traceback", 'File "', ".py", "/work/", "site-packages", "odrchat.", "Error:")
MAX_FRAME = 64 * 1024


@dataclass
class Fuzzer:
    """One fuzzing client: sends a frame and a probe, checks every answer, reconnects on close."""

    client: TestClient
    hdrs: dict[str, str]
    sent: int = 0
    probes: int = 0
    received: int = 0
    closes: dict[int, int] = field(default_factory=dict)
    codes: dict[str, int] = field(default_factory=dict)
    stack: ExitStack = field(default_factory=ExitStack)
    ws: Any = None

    def connect(self) -> None:
        self.stack.close()
        self.stack = ExitStack()
        self.ws = self.stack.enter_context(self.client.websocket_connect("/ws", headers=self.hdrs))
        self.check(self.ws.receive_text())

    def check(self, text: str) -> dict[str, Any]:
        self.received += 1
        for leak in LEAKS:
            assert leak not in text or '"type":"chat.message"' in text, text[:300]
        frame: dict[str, Any] = json.loads(text)
        kind = frame["type"]
        assert kind in SERVER_TYPES or kind.startswith(STORED_PREFIXES), kind
        if kind == "error":
            assert frame["code"] in ERROR_CODES, frame
            assert isinstance(frame["message"], str) and len(frame["message"]) < 200
            self.codes[frame["code"]] = self.codes.get(frame["code"], 0) + 1
        return frame

    def send(self, raw: str | bytes) -> None:
        assert len(raw) <= MAX_FRAME
        if self.ws is None:
            self.connect()
        self.sent += 1
        self.probes += 1
        probe = f"probe-{self.probes}"
        try:
            if isinstance(raw, bytes):
                self.ws.send_bytes(raw)
            else:
                self.ws.send_text(raw)
            self.ws.send_text(json.dumps({"type": "room.unsubscribe", "id": probe, "room": 1}))
            for _ in range(2000):
                frame = self.check(self.ws.receive_text())
                if frame.get("re") == probe:
                    return
            raise AssertionError("the probe was never answered")
        except WebSocketDisconnect as closed:
            assert closed.code in CLOSE_CODES, closed.code
            self.closes[closed.code] = self.closes.get(closed.code, 0) + 1
            self.ws = None

    def close(self) -> None:
        self.stack.close()


# -- strategies ---------------------------------------------------------------------------------

ODD = [
    "\u202e",
    "\u202d",
    "\u200b",
    "\u200d",
    "\ufeff",
    "\x00",
    "\ud800",
    "\udfff",
    "\U0001f600",
    "\u0301",
    "\u2028",
    "\u2029",
    "<",
    '"',
    "\\",
    "\n",
]
odd_text = st.lists(st.sampled_from(ODD) | st.characters(), max_size=40).map("".join)
big_ints = st.sampled_from(
    [
        0,
        -1,
        1,
        2**31,
        2**53,
        2**53 + 1,
        2**63 - 1,
        2**63,
        2**64,
        -(2**63),
        -(2**64),
        10**30,
        protocol.MAX_SEQ,
    ]
)
leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    big_ints,
    st.floats(allow_nan=True, allow_infinity=True),
    odd_text,
)
value = st.recursive(
    leaf,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(odd_text, inner, max_size=4),
    max_leaves=12,
)
FIELDS = ["id", "room", "after", "before", "limit", "text", "on", "seq", "reason", "re", "v"]
frame_dicts = st.builds(
    lambda kind, fields: {"type": kind, **fields},
    st.sampled_from(sorted(protocol.CLIENT_TYPES)) | odd_text | value,
    st.dictionaries(st.sampled_from(FIELDS) | odd_text, value | st.integers(0, 20), max_size=6),
)


def encode(data: object, ascii_only: bool) -> str:
    # A lone surrogate can only travel as a \\ud800 escape: UTF-8 cannot carry it.
    return json.dumps(data, ensure_ascii=ascii_only, allow_nan=True)


raw_frames = st.one_of(
    st.builds(encode, frame_dicts, st.booleans()),
    st.builds(encode, value, st.just(True)),
    st.builds(
        lambda text, cut: text[:cut],
        st.builds(encode, frame_dicts, st.just(True)),
        st.integers(0, 200),
    ),
    odd_text.map(lambda s: s.encode("utf-8", "surrogatepass").decode("utf-8", "replace")),
    st.binary(max_size=200),
)


def corpus(rooms: list[int]) -> list[str | bytes]:
    """Hand-picked frames: the edges a generator may take long to find."""
    deep_array = "[" * 10_000 + "]" * 10_000
    deep_object = '{"a":' * 10_000 + "1" + "}" * 10_000
    room = rooms[0]
    chat = {"type": "chat.send", "id": "c1", "room": room}
    out: list[str | bytes] = [
        deep_array,
        deep_object,
        json.dumps({"type": "chat.send", "id": "deep", "room": room, "text": "x"})[:-1]
        + ',"x":'
        + deep_array
        + "}",
        json.dumps({**chat, "text": "x" * (MAX_FRAME - 200)}),
        json.dumps({**chat, "text": "\ud800"}),
        json.dumps({**chat, "text": "ok \udfff\ud800 reversed pair"}),
        json.dumps(
            {**chat, "id": "rtl", "text": "\u202egnp.exe \u200b\u200d\ufeff"}, ensure_ascii=False
        ),
        json.dumps({**chat, "id": "nul", "text": "a\x00b"}, ensure_ascii=False),
        '{"type":"chat.send","id":"raw-nul","room":' + str(room) + ',"text":"a\x00b"}',
        json.dumps({"type": "room.subscribe", "id": "big", "room": 2**64}),
        json.dumps({"type": "room.subscribe", "id": "neg", "room": -1, "after": -5}),
        json.dumps(
            {"type": "room.history", "id": "h", "room": room, "before": 2**63, "limit": 2**63}
        ),
        json.dumps({"type": "read.mark", "id": "r", "room": room, "seq": 2**63 + 1}),
        json.dumps({"type": "read.mark", "id": "r2", "room": room, "seq": -(2**63)}),
        '{"type":"room.subscribe","id":"huge","room":' + "9" * 5000 + "}",
        '{"type":"room.subscribe","id":"float","room":1e999}',
        '{"type":"room.subscribe","id":"nan","room":NaN,"after":-Infinity}',
        '{"type":"room.subscribe","type":"chat.send","id":"dup","room":'
        + str(room)
        + ',"text":"x"}',
        json.dumps({"type": "chat.send", "id": "i" * 65, "room": room, "text": "x"}),
        json.dumps(
            {"type": "chat.send", "id": "\u202eid", "room": room, "text": "x"}, ensure_ascii=False
        ),
        json.dumps({"type": {"nested": True}, "id": "n"}),
        json.dumps({"type": "typing", "id": "t", "room": room, "on": "yes"}),
        json.dumps(
            {"type": "message.flag", "id": "f", "room": room, "seq": 1, "reason": "r" * 501}
        ),
        "",
        " ",
        "null",
        "[]",
        '"chat.send"',
        "1",
        "true",
        "{",
        "}",
        "\x00",
        "\ud800".encode("utf-8", "surrogatepass").decode("utf-8", "replace"),
        b"\xff\xfe\x00",
        b'{"type":"chat.send"}',
        b"",
    ]
    return out


@pytest.fixture
def fuzz_app(template: World, tmp_path: Path) -> Any:
    with app_for(template, tmp_path) as (c, w, s):
        yield c, w, s


def _rooms(w: World) -> list[int]:
    return [*w.rooms["A"].values(), *w.rooms["B"].values()]


def _still_serving(c: TestClient, settings: Settings, w: World) -> None:
    """After the campaign, two fresh sockets still talk to each other."""
    joint = w.rooms["A"]["joint"]
    with (
        c.websocket_connect("/ws", headers=headers(settings, w.tokens["paul"])) as paul,
        c.websocket_connect("/ws", headers=headers(settings, w.tokens["dana"])) as dana,
    ):
        for ws in (paul, dana):
            assert ws.receive_json()["type"] == "hello"
            ws.send_json({"type": "room.subscribe", "id": "s", "room": joint})
            while ws.receive_json()["type"] != "room.synced":
                pass
        dana.send_json(
            {"type": "chat.send", "id": "after-fuzz", "room": joint, "text": "still here"}
        )
        for _ in range(100):
            f = paul.receive_json()
            if f["type"] == "chat.message" and f["msg_id"] == "after-fuzz":
                assert f["text"] == "still here"
                return
    raise AssertionError("the message never arrived")


def _report(name: str, fz: Fuzzer, capsys: pytest.CaptureFixture[str]) -> None:
    with capsys.disabled():
        print(
            f"\n{name}: {fz.sent} frames sent, {fz.received} received, closes {fz.closes}, "
            f"errors {dict(sorted(fz.codes.items()))}"
        )


def test_hand_picked_edges_get_errors_not_crashes(
    fuzz_app: Any, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    c, w, settings = fuzz_app
    fz = Fuzzer(c, headers(settings, w.tokens["paul"]))
    with caplog.at_level(logging.ERROR):
        for raw in corpus(_rooms(w)):
            fz.send(raw)
    fz.close()
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert fz.codes.get("bad_json", 0) >= 10 and fz.codes.get("bad_frame", 0) >= 8
    _report("corpus", fz, capsys)
    _still_serving(c, settings, w)


EXAMPLES = 1000


def test_generated_frames_never_crash_or_leak_and_others_are_still_served(
    fuzz_app: Any, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    c, w, app_settings = fuzz_app
    rooms = _rooms(w)
    fz = Fuzzer(c, headers(app_settings, w.tokens["mia"]))  # the mediator reaches every room

    # Plausible frames too: real room ids make the fuzzer reach the handlers, not just parse.
    plausible = st.builds(
        lambda kind, room, extra: encode({"type": kind, "id": "p", "room": room, **extra}, True),
        st.sampled_from(sorted(protocol.CLIENT_TYPES)),
        st.sampled_from(rooms) | big_ints,
        st.dictionaries(st.sampled_from(FIELDS[2:]), leaf | big_ints, max_size=4),
    )

    @given(raw=raw_frames | plausible)
    @settings(
        max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    def campaign(raw: str | bytes) -> None:
        if len(raw) <= MAX_FRAME:
            fz.send(raw)

    with caplog.at_level(logging.ERROR):
        campaign()
    fz.close()
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert fz.sent >= EXAMPLES * 0.9
    _report("generated", fz, capsys)
    _still_serving(c, app_settings, w)

    async def chains() -> list[Any]:
        db = Database(app_settings.database_url)
        try:
            return await verify_all(db)
        finally:
            await db.dispose()

    assert run_sync(chains()) == []  # whatever got stored is still a sound chain


def test_what_the_fuzzers_found_stays_fixed_on_every_database(
    settings: Settings, db_url: str
) -> None:
    """Found by fuzzing, on PostgreSQL only: 32-bit columns and NUL-free text.

    A room id or seq past 2**31-1 and a flag reason with NUL used to raise inside the handler
    (asyncpg refuses both), closing the socket with a logged traceback; an id past 2**31-1 in a
    URL was a 500. Now they are ordinary refusals.
    """
    from tests.helpers import client_for
    from tests.rooms.test_endpoint import send, socket, subscribe, until
    from tests.rooms.world import world

    w = world(db_url)
    joint = w.rooms["joint"]
    with client_for(settings) as c, socket(c, "mia") as mia:
        subscribe(mia, joint, after=0)
        send(mia, joint, "hello", "m1")
        for n, frame in enumerate(
            [
                {"type": "room.subscribe", "room": 2**31},
                {"type": "room.subscribe", "room": 2**40},
                {"type": "room.subscribe", "room": joint, "after": 2**40},
                {"type": "room.history", "room": joint, "before": 2**31},
                {"type": "read.mark", "room": joint, "seq": 2**35},
                {"type": "message.flag", "room": joint, "seq": 1, "reason": "a\x00b"},
                {"type": "chat.send", "room": joint, "text": "a\x00b"},
            ]
        ):
            mia.send_json({**frame, "id": f"x{n}"})
            assert until(mia, "error", re=f"x{n}")["code"] == "bad_frame", frame
        assert send(mia, joint, "still fine", "m2")["seq"] == 2
        hdrs = {"origin": "http://testserver"}
        for path in (
            f"/api/cases/{2**31}",
            f"/api/cases/{2**40}/offers",
            f"/api/agreements/{2**63}",
            f"/api/offers/{10**30}/accept",
        ):
            r = c.request("POST" if path.endswith("accept") else "GET", path, headers=hdrs)
            assert r.status_code in (401, 403), r.text  # anonymous: refused before any lookup
        from tests.helpers import login

        login(c, "mia@example.org", "correct horse battery")
        for path in (
            f"/api/cases/{2**31}",
            f"/api/cases/{2**40}/offers",
            f"/api/agreements/{2**63}",
        ):
            assert c.get(path).status_code == 404, path
