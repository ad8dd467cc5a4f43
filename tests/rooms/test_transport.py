"""The socket transport on real uvicorn workers (not TestClient): the frame size limit, the
Origin check, keepalive reaping, the per-user socket cap, and slow readers.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import select
import socket
import struct
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.typing import Origin

from odrchat.rooms.connection import CLOSE_WAIT
from tests.cluster import Client, Cluster, Worker, cluster, fresh_database, poll
from tests.rooms.world import World, world
from tests.services import redis_url

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]


@pytest.fixture(scope="module")
def one(
    pg_template: tuple[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Cluster, World]]:
    """One worker shared by the quick transport tests of this module."""
    with fresh_database(pg_template) as db:
        w = world(db)
        with cluster(db, redis_url(), tmp_path_factory.mktemp("one"), n=1) as cl:
            yield cl, w


@pytest.fixture
def db(pg_template: tuple[str, str]) -> Iterator[str]:
    with fresh_database(pg_template) as url:
        yield url


async def test_frame_over_64_kib_closes_1009(one: tuple[Cluster, World]) -> None:
    """A 60 KiB text is refused as too long and the socket stays; a 70 KiB frame closes it."""
    cl, w = one
    async with cl, asyncio.timeout(60):
        paul = await cl.client("paul")
        reply = await paul.send(w.rooms["joint"], "x" * 60_000)
        assert reply["type"] == "error" and reply["code"] == "too_long"
        await paul.send_frame(
            {"type": "chat.send", "id": "big", "room": w.rooms["joint"], "text": "x" * 70_000}
        )
        assert await paul.closed() == 1009
        assert "big" not in paul.acks


@pytest.mark.parametrize("origin", ["http://evil.example", None, "null"])
async def test_foreign_missing_or_null_origin_is_refused_on_the_handshake(
    one: tuple[Cluster, World], origin: str | None
) -> None:
    """Cross-site WebSocket hijacking: the handshake itself is refused (HTTP 403), cookie or
    not; the same cookie with our own Origin is let in."""
    cl, _ = one
    async with cl, asyncio.timeout(30):
        cookie = await cl.login("paul")
        worker = cl.workers[0]
        with pytest.raises(InvalidStatus) as refused:
            async with connect(
                worker.ws_url,
                origin=Origin(origin) if origin else None,
                additional_headers={"Cookie": f"odr_session={cookie}"},
                proxy=None,
                compression=None,
            ):
                pass
        assert refused.value.response.status_code == 403
        async with connect(
            worker.ws_url,
            origin=Origin(cl.origin),
            proxy=None,
            additional_headers={"Cookie": f"odr_session={cookie}"},
        ) as ws:
            assert json.loads(await ws.recv())["type"] == "hello"


async def test_eleventh_socket_of_a_user_is_closed_4429(one: tuple[Cluster, World]) -> None:
    """Ten sockets per user per worker; the eleventh is accepted then closed 4429, other users
    are unaffected, and a slot freed by a closed tab can be used again."""
    cl, _ = one
    async with cl, asyncio.timeout(60):
        cookie = await cl.login("paul")
        worker = cl.workers[0]
        tabs = []
        for _ in range(10):
            tab = cl.track(Client("paul", cookie, cl.origin))
            await tab.connect(worker)
            tabs.append(tab)

        async def eleventh() -> int | None:
            async with connect(
                worker.ws_url,
                origin=Origin(cl.origin),
                proxy=None,
                additional_headers={"Cookie": f"odr_session={cookie}"},
            ) as ws:
                try:
                    return json.loads(await ws.recv())["type"] == "hello" and None
                except ConnectionClosed:
                    return ws.close_code

        assert await eleventh() == 4429
        assert await eleventh() == 4429
        dana = await cl.client("dana")
        assert dana.hello["user"]["id"] != tabs[0].hello["user"]["id"]
        await tabs[0].close()
        for _ in range(100):  # the server forgets the closed tab right after its close
            if await eleventh() is None:
                break
        else:
            raise AssertionError("a freed slot was never given back")
        assert all(t.open for t in tabs[1:])


def _frames(data: bytes) -> list[tuple[int, bytes]]:
    """(opcode, payload) of each unmasked server frame in `data`."""
    out = []
    while len(data) >= 2:
        opcode, size, at = data[0] & 0x0F, data[1] & 0x7F, 2
        if size == 126:
            size, at = struct.unpack("!H", data[2:4])[0], 4
        elif size == 127:
            size, at = struct.unpack("!Q", data[2:10])[0], 10
        out.append((opcode, data[at : at + size]))
        data = data[at + size :]
    return out


def _raw_handshake(worker: Worker, cookie: str, origin: str) -> socket.socket:
    """A TCP client that completes the WebSocket handshake and reads not one byte more."""
    sock = socket.create_connection(("127.0.0.1", worker.port), timeout=10)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        (
            f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{worker.port}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            f"Origin: {origin}\r\nCookie: odr_session={cookie}\r\n\r\n"
        ).encode()
    )
    head = b""
    while not head.endswith(b"\r\n\r\n"):
        byte = sock.recv(1)
        assert byte, "closed during the handshake"
        head += byte
    assert head.startswith(b"HTTP/1.1 101"), head
    return sock


async def test_client_that_never_answers_pings_is_reaped(db: str, tmp_path: Path) -> None:
    """With a 1 s ping interval and timeout, a client that never reads (so never answers a
    ping) has its TCP connection closed by the server within a few seconds, after a ping and
    a 1011 close frame; a client that answers pings stays connected meanwhile."""
    w = world(db)
    with cluster(db, redis_url(), tmp_path, n=1, ping=1) as cl:
        async with cl, asyncio.timeout(60):
            worker = cl.workers[0]
            lively = await cl.client("dana")
            await lively.subscribe(w.rooms["joint"])
            sock = _raw_handshake(worker, await cl.login("paul"), cl.origin)
            try:
                poller = select.poll()
                poller.register(sock, select.POLLRDHUP)
                started = time.monotonic()
                events = await asyncio.to_thread(poller.poll, 15_000)  # waits for the FIN
                elapsed = time.monotonic() - started
                assert events and events[0][1] & select.POLLRDHUP, "not closed within 15 s"
                assert 1.0 <= elapsed < 10, elapsed
                sock.settimeout(5)
                data = b""
                while chunk := sock.recv(65536):
                    data += chunk
            finally:
                sock.close()
            frames = _frames(data)
            opcodes = [op for op, _ in frames]
            assert opcodes[0] == 0x1 and json.loads(frames[0][1])["type"] == "hello"
            assert 0x9 in opcodes, "no ping was sent"
            assert opcodes[-1] == 0x8 and struct.unpack("!H", frames[-1][1][:2])[0] == 1011
            assert lively.open
            ack = await lively.send(w.rooms["joint"], "still here")
            await lively.reach(w.rooms["joint"], ack["seq"])


async def test_slow_readers_are_closed_4408_and_nobody_else_waits(db: str, tmp_path: Path) -> None:
    """alex and otto stop reading (small receive windows) while dana floods the joint room
    with read markers (each answers with a `read` frame to every socket in the room; typing,
    once the flood of choice, is passed on once a second now) and paul, dana and mia keep
    sending long messages. The server gives up on both slow sockets without slowing anybody
    else: each message reaches the other two within 5 s throughout (at once, on an idle
    machine). alex, reading again, finds close 4408 after what was queued and resumes without
    loss; otto, who never reads again, is let go (he goes offline)."""
    w = world(db)
    joint = w.rooms["joint"]
    # Pings every 60 s: a read marker costs a database write, so on a busy machine filling
    # the queues can take longer than the default 20 s + 20 s in which a client that reads
    # nothing is reaped for not answering pings (1011), which is not what is tested here.
    with cluster(db, redis_url(), tmp_path, n=1, ping=60) as cl:
        worker = cl.workers[0]
        async with cl, asyncio.timeout(240):
            alex, otto = [
                cl.track(Client(who, await cl.login(who), cl.origin)) for who in ("alex", "otto")
            ]
            for c in (alex, otto):
                await c.connect(worker, rcvbuf=4096)
                await c.subscribe(joint)
                c.reading.clear()
            talkers = [await cl.client(who) for who in ("paul", "dana", "mia")]
            for c in talkers:
                await c.subscribe(joint)
            stop = asyncio.Event()
            worst = [0.0]

            async def talk(c: Client) -> None:
                others = [o for o in talkers if o is not c]
                i = 0
                while not stop.is_set():
                    # 4000 characters, 16 KB of UTF-8: the slow sockets' buffers fill fast.
                    ack = await c.send(joint, f"{c.who} {i} ".ljust(4000, "\U0001f642"))
                    started = time.monotonic()
                    for o in others:
                        await o.reach(joint, ack["seq"], bound=5.0)
                    worst[0] = max(worst[0], time.monotonic() - started)
                    i += 1

            async def flood() -> int:
                """Read markers as fast as the server takes them: at most 1000 unanswered
                (each comes back to this socket too), so the flood is the server's pace."""
                cookie = await cl.login("dana")
                sent, back = 0, [0]
                caught_up = asyncio.Event()
                async with connect(
                    worker.ws_url,
                    origin=Origin(cl.origin),
                    proxy=None,
                    compression=None,
                    additional_headers={"Cookie": f"odr_session={cookie}"},
                ) as ws:

                    async def count() -> None:
                        with contextlib.suppress(ConnectionClosed):
                            async for raw in ws:
                                if '"type":"read",' in raw:
                                    back[0] += 1
                                    if sent - back[0] < 500:
                                        caught_up.set()

                    counting = asyncio.ensure_future(count())
                    await ws.send(json.dumps({"type": "room.subscribe", "room": joint}))
                    marker = json.dumps({"type": "read.mark", "room": joint, "seq": 1})
                    while not stop.is_set() and sent < 300_000:
                        for _ in range(500):
                            await ws.send(marker)
                        sent += 500
                        if sent - back[0] >= 1000:
                            caught_up.clear()
                            # Re-check `stop` every second: markers cost a database write
                            # each, and the backlog need not drain once the test is done.
                            with contextlib.suppress(TimeoutError):
                                async with asyncio.timeout(1):
                                    await caught_up.wait()
                    counting.cancel()
                return sent

            def both_slow_noticed() -> bool:
                text = worker.log()
                return all(
                    f"slow reader user={c.hello['user']['id']}" in text for c in (alex, otto)
                )

            tasks = [asyncio.ensure_future(talk(c)) for c in talkers]
            flooding = asyncio.ensure_future(flood())
            try:
                await asyncio.to_thread(
                    poll, both_slow_noticed, "both slow readers noticed", 150, 0.1
                )
                alex.reading.set()  # within CLOSE_WAIT: the close frame follows the backlog
                assert await alex.closed(bound=CLOSE_WAIT) == 4408
            finally:
                stop.set()
                await asyncio.gather(*tasks)
                marked = await flooding
            otto_id = otto.hello["user"]["id"]
            paul = talkers[0]
            await paul.wait_for(
                lambda: any(
                    f["type"] == "presence" and f["user_id"] == otto_id and not f["online"]
                    for f in paul.frames
                ),
                "otto let go",
                bound=CLOSE_WAIT + 10,
            )
            await alex.reconnect(cl.workers)
            await cl.check([joint], [*talkers, alex])
            print(
                f"read markers sent {marked}, worst delivery {worst[0]:.2f} s, "
                f"messages {len(await cl.transcript(joint))}"
            )
            assert worst[0] < 5.0
