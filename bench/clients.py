"""One simulated user socket per Client, speaking one of three wire dialects.

All three pay the same client cost: one `websockets` connection, one JSON decode per frame and
the same bookkeeping. Every chat text starts with the sender's send time in nanoseconds, the
sender's number and its per-room counter, so any receiver can time and order-check it:
``"<time_ns> <sender> <k> xxxx..."``.

Checks, per receiving socket:
- odrchat: every stored event's `seq` per room must be the previous one plus one (from the head
  announced in `hello`, and across resumes); lower is a duplicate, higher a gap.
- baselines (no seq): each sender's counter per room must go up by one; lower is a duplicate or
  reordering, higher a gap. Loss is also counted globally: what the room should have received
  against what arrived.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import time
from array import array
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Origin

try:  # orjson when installed (bench/requirements.txt): the generator's cost per frame is lower
    import orjson

    loads: Callable[[str | bytes], Any] = orjson.loads

    def dumps(value: Any) -> str:
        return orjson.dumps(value).decode()

except ImportError:  # the quick check runs with the project's own dependencies only
    import json

    loads = json.loads

    def dumps(value: Any) -> str:
        return json.dumps(value, separators=(",", ":"))


# Client message ids differ between generator runs, so a rerun against the same database is
# not refused as a resend of the last run's messages (client_id_reused).
RUN = os.urandom(3).hex()
PAD = "x" * 80  # a chat line of ~110 characters, about a real one


@dataclass(slots=True)
class Tally:
    """What one generator process saw since the last collect."""

    lat_us: array[int] = field(default_factory=lambda: array("q"))
    ack_us: array[int] = field(default_factory=lambda: array("q"))
    deliveries: int = 0
    replayed: int = 0
    sent: int = 0
    stored: Counter[int] = field(default_factory=Counter)  # room -> sends the server took
    gaps: int = 0
    dups: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    closes: Counter[str] = field(default_factory=Counter)
    heads: dict[int, int] = field(default_factory=dict)  # room -> highest acked seq (odrchat)


class Client:
    """One socket of one user."""

    dialect: ClassVar[str] = ""
    path: ClassVar[str] = "/ws"
    counts_on_ack: ClassVar[bool] = False  # odrchat: a send counts once stored (acked)

    def __init__(
        self, index: int, rooms: tuple[int, ...], address: str, cookie: str | None, tally: Tally
    ) -> None:
        self.index = index
        self.rooms = rooms
        self.address = address
        self.cookie = cookie
        self.tally = tally
        self.ws: ClientConnection | None = None
        self.reader: asyncio.Task[None] | None = None
        self.connected = False
        self.dropping = False
        self.slow = False
        self.go = asyncio.Event()
        self.go.set()
        self.turn = 0
        self.k: dict[int, int] = dict.fromkeys(rooms, 0)
        self.sent_total = 0
        self.last_k: dict[tuple[int, str], int] = {}
        self.synced_at = 0.0

    async def connect(self, base: str, origin: str, rcvbuf: int | None = None) -> None:
        """Open the socket from this client's loopback address and subscribe to every room."""
        host, port = base.removeprefix("ws://").split(":")
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        if rcvbuf:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        try:
            sock.bind((self.address, 0))
            await asyncio.get_running_loop().sock_connect(sock, (host, int(port)))
        except OSError:
            sock.close()
            raise
        headers = {"Cookie": f"odr_session={self.cookie}"} if self.cookie else None
        self.ws = await connect(
            base + self.path,
            sock=sock,
            origin=Origin(origin),
            additional_headers=headers,
            compression=None,
            proxy=None,
            ping_interval=None,
            open_timeout=30,
            max_size=1 << 20,
            user_agent_header=None,
        )
        await asyncio.wait_for(self.open(), 60)
        self.connected = True
        self.dropping = False
        self.synced_at = time.monotonic()
        self.reader = asyncio.create_task(self.read())

    async def open(self) -> None:
        raise NotImplementedError

    def handle(self, frame: str) -> None:
        raise NotImplementedError

    def encode(self, room: int, text: str) -> str:
        raise NotImplementedError

    async def read(self) -> None:
        assert self.ws is not None
        try:
            async for frame in self.ws:
                if self.slow:
                    await self.go.wait()
                if isinstance(frame, str):
                    self.handle(frame)
        except ConnectionClosed:
            pass
        finally:
            self.connected = False
            if not self.dropping:
                self.tally.closes[str(self.ws.close_code)] += 1

    async def send(self) -> None:
        """Send one chat line to the next of this client's rooms."""
        assert self.ws is not None
        room = self.rooms[self.turn % len(self.rooms)]
        self.turn += 1
        k = self.k[room] = self.k[room] + 1
        self.sent_total += 1
        text = f"{time.time_ns()} {self.index} {k} {PAD}"
        self.tally.sent += 1
        if not self.counts_on_ack:
            self.tally.stored[room] += 1
        await self.ws.send(self.encode(room, text))

    def deliver(self, room: int, text: str) -> None:
        now = time.time_ns()
        sent_ns, sender, k_raw, _ = text.split(" ", 3)
        t = self.tally
        t.lat_us.append((now - int(sent_ns)) // 1000)
        t.deliveries += 1
        if self.counts_on_ack:
            return  # odrchat is checked by seq instead
        key = (room, sender)
        k = int(k_raw)
        last = self.last_k.get(key)
        if last is not None:
            if k <= last:
                t.dups += 1
                return
            if k > last + 1:
                t.gaps += k - last - 1
        self.last_k[key] = k

    def drop(self) -> None:
        """Lose the connection abruptly, as a network failure would."""
        self.dropping = True
        self.connected = False
        if self.ws is not None:
            self.ws.transport.abort()

    async def close(self) -> None:
        """Close cleanly (5 s at most, then abort); a paused reader is released first."""
        self.dropping = True
        self.slow = False
        self.go.set()
        if self.ws is not None:
            try:
                await asyncio.wait_for(self.ws.close(), 5)
            except (TimeoutError, OSError):
                self.ws.transport.abort()
        if self.reader is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.reader, 5)


class BareClient(Client):
    """Baseline (a): JSON join and msg frames, forwarded as they are."""

    dialect = "bare"

    async def open(self) -> None:
        assert self.ws is not None
        await self.ws.send(dumps({"t": "join", "rooms": list(self.rooms)}))
        while (await self.ws.recv()) != '{"t":"joined"}':
            pass

    def handle(self, frame: str) -> None:
        d = loads(frame)
        if d.get("t") == "msg":
            self.deliver(d["room"], d["text"])

    def encode(self, room: int, text: str) -> str:
        return f'{{"t":"msg","room":{room},"text":"{text}"}}'


class SioClient(Client):
    """Baseline (b): Engine.IO 4 / Socket.IO 5 over a plain WebSocket, written by hand."""

    dialect = "sio"
    path = "/socket.io/?EIO=4&transport=websocket"

    async def open(self) -> None:
        assert self.ws is not None
        first = await self.ws.recv()
        if not isinstance(first, str) or not first.startswith("0{"):
            raise ConnectionError(f"no Engine.IO open packet: {first!r:.80}")
        await self.ws.send("40")
        await self._until(lambda f: f.startswith("40"))
        await self.ws.send("420" + dumps(["join", list(self.rooms)]))
        await self._until(lambda f: f.startswith("430"))

    async def _until(self, done: Any) -> None:
        assert self.ws is not None
        while True:
            frame = await self.ws.recv()
            assert isinstance(frame, str)
            if frame == "2":
                await self.ws.send("3")
            elif done(frame):
                return

    async def read(self) -> None:
        assert self.ws is not None
        try:
            async for frame in self.ws:
                if self.slow:
                    await self.go.wait()
                if frame == "2":
                    await self.ws.send("3")  # Engine.IO ping
                elif isinstance(frame, str) and frame.startswith("42"):
                    _, d = loads(frame[2:])
                    self.deliver(d["room"], d["text"])
        except ConnectionClosed:
            pass
        finally:
            self.connected = False
            if not self.dropping:
                self.tally.closes[str(self.ws.close_code)] += 1

    def encode(self, room: int, text: str) -> str:
        return f'42["msg",{{"room":{room},"text":"{text}"}}]'


STORED_PREFIXES = ("case.", "offer.", "agreement.")


class OdrClient(Client):
    """odrchat, as docs/protocol.md describes it: hello, room.subscribe, chat.send/ack/message."""

    dialect = "odrchat"
    counts_on_ack = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.last_seq: dict[int, int] = {}
        self.pending: dict[str, int] = {}  # message id -> send time (ns)
        self.unsynced: set[int] = set()
        self.syncing: set[int] = set()
        self.paging: set[asyncio.Future[None]] = set()

    async def open(self) -> None:
        assert self.ws is not None
        hello = loads(await self.ws.recv())
        if hello.get("type") != "hello":
            raise ConnectionError(f"expected hello, got {hello!r:.120}")
        heads = {r["room"]: r["head"] for r in hello["rooms"]}
        self.unsynced = set(self.rooms)
        self.syncing = set(self.rooms)
        for room in self.rooms:
            # First connect: start from the head. Resume: from the last seq this socket saw.
            after = self.last_seq.setdefault(room, heads[room])
            await self.ws.send(
                dumps({"type": "room.subscribe", "id": f"s{room}", "room": room, "after": after})
            )
        while self.unsynced:
            frame = await self.ws.recv()
            if isinstance(frame, str):
                self.handle(frame)

    def handle(self, frame: str) -> None:
        d = loads(frame)
        kind = d["type"]
        t = self.tally
        if kind == "chat.message":
            self._check_seq(d["room"], d["seq"])
            if d["room"] in self.syncing:
                t.replayed += 1
            else:
                self.deliver(d["room"], d["text"])
        elif kind == "chat.ack":
            sent = self.pending.pop(d["re"], None)
            if sent is not None:
                t.ack_us.append((time.time_ns() - sent) // 1000)
                if not d.get("duplicate"):
                    t.stored[d["room"]] += 1
                if d["seq"] > t.heads.get(d["room"], 0):
                    t.heads[d["room"]] = d["seq"]
        elif kind == "room.synced":
            self.unsynced.discard(d["room"])
            self.syncing.discard(d["room"])
        elif kind == "room.behind":
            # More than a page was missed: ask for the next page from where we are.
            task = asyncio.ensure_future(self._subscribe(d["room"]))
            self.paging.add(task)
            task.add_done_callback(self.paging.discard)
        elif kind == "error":
            t.errors[d.get("code", "?")] += 1
            if "re" in d:
                self.pending.pop(d["re"], None)
        elif kind.startswith(STORED_PREFIXES):
            self._check_seq(d["room"], d["seq"])

    async def _subscribe(self, room: int) -> None:
        assert self.ws is not None
        await self.ws.send(
            dumps(
                {
                    "type": "room.subscribe",
                    "id": f"s{room}",
                    "room": room,
                    "after": self.last_seq[room],
                }
            )
        )

    def _check_seq(self, room: int, seq: int) -> None:
        last = self.last_seq.get(room, 0)
        if seq <= last:
            self.tally.dups += 1
            return
        if seq > last + 1:
            self.tally.gaps += seq - last - 1
        self.last_seq[room] = seq

    def encode(self, room: int, text: str) -> str:
        mid = f"b{RUN}-{self.index}-{self.sent_total}"
        self.pending[mid] = time.time_ns()
        return f'{{"type":"chat.send","id":"{mid}","room":{room},"text":"{text}"}}'


DIALECTS: dict[str, type[Client]] = {c.dialect: c for c in (BareClient, SioClient, OdrClient)}
