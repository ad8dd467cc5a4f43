"""How odrchat runs uvicorn: the listening socket is TCP, so every connection has Nagle off."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from pathlib import Path

from odrchat.serving import Config
from tests.helpers import wait_until_served
from tests.services import redis_url


async def test_connections_on_the_workers_socket_have_nagle_off() -> None:
    """The socket the multi-worker supervisor hands its workers: accepted connections get
    TCP_NODELAY from asyncio (a proto-0 socket, uvicorn's own, would leave Nagle on)."""
    sock = Config("odrchat.app:app_from_env", host="127.0.0.1", port=0).bind_socket()
    assert sock.proto == socket.IPPROTO_TCP
    loop = asyncio.get_running_loop()
    accepted: asyncio.Future[int] = loop.create_future()

    class Probe(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            conn = transport.get_extra_info("socket")
            accepted.set_result(conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            transport.close()

    server = await loop.create_server(Probe, sock=sock)
    try:
        port = sock.getsockname()[1]
        _reader, writer = await asyncio.open_connection("127.0.0.1", port)
        assert await asyncio.wait_for(accepted, 10) != 0
        writer.close()
    finally:
        server.close()
        await server.wait_closed()


def test_serve_with_two_workers(tmp_path: Path) -> None:
    """`odrchat serve --workers 2` starts both workers through odrchat's runner."""
    redis = redis_url()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PUBLIC_URL")}
    env["REDIS_URL"] = redis
    proc = subprocess.Popen(
        [sys.executable, "-m", "odrchat", "serve", "--workers", "2", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_until_served(proc, f"http://127.0.0.1:{port}/readyz")
    finally:
        proc.terminate()
        output, _ = proc.communicate(timeout=30)
    assert output.count("Started server process") == 2, output[-2000:]


async def test_websocket_reads_pause_only_behind_a_backlog_and_lose_nothing() -> None:
    """odrchat's WebSocket protocol keeps reading while a few messages wait for the app
    (uvicorn's pauses at one), pauses behind BACKLOG, and resumes once the app catches up."""
    import uvicorn
    from websockets.asyncio.client import connect

    from odrchat.serving import BACKLOG, WebSocketProtocol

    release = asyncio.Event()
    received: list[str] = []

    async def app(scope, receive, send):  # type: ignore[no-untyped-def]
        assert scope["type"] == "websocket"
        await receive()  # websocket.connect
        await send({"type": "websocket.accept"})
        await release.wait()
        while len(received) < 100:
            message = await receive()
            received.append(message["text"][:8])
        await send({"type": "websocket.send", "text": "all read"})
        await receive()

    config = Config(
        app,
        host="127.0.0.1",
        port=0,
        ws="websockets-sansio",
        ws_per_message_deflate=False,  # as odrchat serves: 60 kB frames stay 60 kB on the wire
        lifespan="off",
    )
    server = uvicorn.Server(config)
    serving = asyncio.ensure_future(server.serve())
    try:
        async with asyncio.timeout(30):
            while not server.started:  # noqa: ASYNC110 -- uvicorn offers no start event
                await asyncio.sleep(0.01)
            port = server.servers[0].sockets[0].getsockname()[1]
            async with connect(f"ws://127.0.0.1:{port}/", compression=None) as ws:
                (protocol,) = server.server_state.connections
                assert isinstance(protocol, WebSocketProtocol)
                pad = "x" * 60_000
                for i in range(BACKLOG - 1):
                    await ws.send(f"{i:08d}{pad}")
                await (await ws.ping())  # the server has read every frame before the ping
                assert protocol.queue.qsize() == BACKLOG - 1
                assert protocol.transport.is_reading()  # uvicorn's own had paused at one
                # Watch the queue from here on (the event an app cannot see).
                sizes: list[int] = []
                full = asyncio.Event()
                put = protocol.queue.put_nowait

                def watched(message):  # type: ignore[no-untyped-def]
                    put(message)
                    sizes.append(protocol.queue.qsize())
                    if sizes[-1] >= BACKLOG:
                        full.set()

                protocol.queue.put_nowait = watched  # type: ignore[method-assign]

                async def rest() -> None:
                    for i in range(BACKLOG - 1, 100):
                        await ws.send(f"{i:08d}{pad}")

                sending = asyncio.ensure_future(rest())
                await full.wait()
                assert not protocol.transport.is_reading()  # paused behind the backlog
                release.set()
                await sending
                assert await ws.recv() == "all read"
                # Paused in time: at most the frames of the read that filled the backlog more.
                assert BACKLOG <= max(sizes) <= BACKLOG + 262_144 // 60_000
                assert protocol.transport.is_reading()  # resumed once the app caught up
        assert received == [f"{i:08d}" for i in range(100)]
    finally:
        server.should_exit = True
        await serving


class Wrapped(asyncio.Transport):
    """asyncio's transport interface, recording each write (what would be one send())."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closing = False
        self.aborted = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        assert not self.closing, "written after close"
        self.writes.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        self.closing = True

    def abort(self) -> None:
        self.closing = self.aborted = True

    def get_write_buffer_size(self) -> int:
        return 7


async def _next_turn() -> None:
    await asyncio.sleep(0)


async def test_the_frames_of_one_turn_leave_in_one_write_in_order() -> None:
    from odrchat.serving import CorkedTransport

    inner = Wrapped()
    corked = CorkedTransport(inner, asyncio.get_running_loop())
    for frame in (b"101", b"hello", b"", b"snapshot"):
        corked.write(frame)
    assert inner.writes == []  # nothing leaves before the turn ends
    await _next_turn()
    assert inner.writes == [b"101hellosnapshot"]
    corked.write(b"synced")
    await _next_turn()
    assert inner.writes == [b"101hellosnapshot", b"synced"]
    assert corked.get_write_buffer_size() == 7  # the rest is the wrapped transport's


async def test_a_large_burst_is_written_at_once_so_flow_control_still_applies() -> None:
    from odrchat.serving import CORK_LIMIT, CorkedTransport

    inner = Wrapped()
    corked = CorkedTransport(inner, asyncio.get_running_loop())
    corked.write(b"a" * (CORK_LIMIT - 1))
    assert inner.writes == []
    corked.write(b"b")
    assert inner.writes == [b"a" * (CORK_LIMIT - 1) + b"b"]
    corked.write(b"c")
    await _next_turn()
    assert inner.writes[1:] == [b"c"]


async def test_close_sends_what_was_gathered_abort_drops_it() -> None:
    from odrchat.serving import CorkedTransport

    loop = asyncio.get_running_loop()
    inner = Wrapped()
    corked = CorkedTransport(inner, loop)
    corked.write(b"close frame")
    corked.close()
    assert inner.writes == [b"close frame"] and inner.closing
    await _next_turn()  # the flush already scheduled finds nothing left to send
    assert inner.writes == [b"close frame"]

    inner = Wrapped()
    corked = CorkedTransport(inner, loop)
    corked.write(b"never sent")
    corked.abort()
    await _next_turn()
    assert inner.writes == [] and inner.aborted

    inner = Wrapped()
    corked = CorkedTransport(inner, loop)
    corked.write(b"too late")
    inner.closing = True  # the connection went away within the turn
    await _next_turn()
    assert inner.writes == []


class NotAsyncioTransport:
    """A transport with asyncio's methods that does not subclass asyncio.Transport, as
    uvloop's TCPTransport (uvicorn picks uvloop whenever it is installed)."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []

    def get_extra_info(self, name: str, default: object = None) -> object:
        return {"sockname": ("127.0.0.1", 8000), "peername": ("127.0.0.1", 50000)}.get(
            name, default
        )

    def write(self, data: bytes) -> None:
        self.writes.append(bytes(data))

    def is_closing(self) -> bool:
        return False


async def test_a_transport_of_another_event_loop_is_corked_too() -> None:
    """Every WebSocket handshake failed with an AssertionError under uvloop, whose transport
    is not an asyncio.Transport: the protocol takes any transport and corks it."""
    from uvicorn.server import ServerState

    from odrchat.serving import Config, CorkedTransport, WebSocketProtocol

    config = Config(app=lambda scope, receive, send: None, ws="websockets-sansio")
    config.load()
    assert config.ws_protocol_class is WebSocketProtocol
    protocol = WebSocketProtocol(config, ServerState(), {}, _loop=asyncio.get_running_loop())
    transport = NotAsyncioTransport()
    protocol.connection_made(transport)  # type: ignore[arg-type]
    assert isinstance(protocol.transport, CorkedTransport)
    assert protocol.client == ("127.0.0.1", 50000)
    protocol.transport.write(b"frame")
    await _next_turn()
    assert transport.writes == [b"frame"]
