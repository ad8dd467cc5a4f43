"""Running uvicorn: one worker or many, with Nagle's algorithm off on every connection, and
WebSocket reads paused only behind a backlog.

asyncio turns Nagle's algorithm off (TCP_NODELAY) for each accepted connection, but only when
the listening socket says it is TCP (`proto == IPPROTO_TCP`). With one worker uvicorn lets
asyncio open the listening socket and all is well. With `--workers > 1` uvicorn binds the
socket itself as `socket.socket(family)`, whose proto is 0, so every connection kept Nagle on:
a frame written while an earlier one was still unacknowledged waited for the client's delayed
ACK. The benchmark showed it as 40-50 ms on 5-10% of chat deliveries with two workers at any
load, and under 10 ms with one. Re-wrapping the bound descriptor lets the kernel report the
real protocol (SO_PROTOCOL), after which asyncio does the rest in every worker.

uvicorn's sans-I/O WebSocket protocol stops reading a socket the moment one received message
waits for the app, and starts again once the app has taken it: two epoll_ctl system calls and
their bookkeeping for every message a client sends, 5-7% of a busy worker's CPU in the
benchmark's profiles. `WebSocketProtocol` pauses once BACKLOG messages wait instead, which
still bounds what a flooding client can queue in the server.

Every WebSocket frame uvicorn sends is its own `transport.write`, and asyncio sends each at once:
one send() system call per frame, which on loopback also hands the data to the receiving socket.
A socket's arrival is several frames written one after another (the handshake's answer and
hello, then each room's snapshot and room.synced). `CorkedTransport` gathers what one socket
writes in one turn of the event loop and sends it as one call at the end of that turn (or at
once past CORK_LIMIT bytes, so flow control still applies to a large burst); nothing waits
longer than the current turn. With it, a party's socket took 4 sends to connect instead of 5
in the benchmark's connect loop (counted with strace); the CPU saved was within that loop's
noise, since most of a connect's cost is Python, not system calls.
"""

from __future__ import annotations

import asyncio
import socket
import sys
from typing import Any, cast

import uvicorn
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from uvicorn.supervisors import Multiprocess

BACKLOG = 16  # received WebSocket messages waiting for the app before reads pause
CORK_LIMIT = 65536  # bytes gathered for one socket before they are sent without waiting


class CorkedTransport:
    """A transport whose writes of one event-loop turn leave as one send (see the module's
    docstring); everything else is the wrapped transport's. Closing sends what is gathered
    first; aborting drops it, as the wrapped transport drops its own buffer."""

    __slots__ = ("_gathered", "_loop", "_size", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._gathered: list[bytes] = []
        self._size = 0

    def write(self, data: bytes) -> None:
        if not data:
            return
        if not self._gathered:
            self._loop.call_soon(self.flush)
        self._gathered.append(data)
        self._size += len(data)
        if self._size >= CORK_LIMIT:
            self.flush()

    def flush(self) -> None:
        """Send what was gathered (a no-op when nothing was, or the socket is closing)."""
        if not self._gathered:
            return
        data = self._gathered[0] if len(self._gathered) == 1 else b"".join(self._gathered)
        self._gathered.clear()
        self._size = 0
        if not self._transport.is_closing():
            self._transport.write(data)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def abort(self) -> None:
        self._gathered.clear()
        self._size = 0
        self._transport.abort()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class WebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's sans-I/O WebSocket protocol, pausing reads only behind a backlog, with the
    frames of one event-loop turn sent together."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's TCPTransport is not a subclass of asyncio.Transport, but has its methods.
        corked = CorkedTransport(cast(asyncio.Transport, transport), self.loop)
        super().connection_made(corked)  # type: ignore[arg-type]

    def send_receive_event_to_app(self) -> None:
        paused = self.read_paused
        self.read_paused = True  # uvicorn's method pauses reads unless they are paused already
        try:
            super().send_receive_event_to_app()
        finally:
            self.read_paused = paused
        if not paused and self.queue.qsize() >= BACKLOG:
            # Resumed by uvicorn once the app has taken every waiting message.
            self.read_paused = True
            self.transport.pause_reading()


class Config(uvicorn.Config):
    """uvicorn's Config whose listening socket knows it is TCP, with `WebSocketProtocol` for
    uvicorn's "websockets-sansio"."""

    def load(self) -> None:
        super().load()
        if self.ws_protocol_class is WebSocketsSansIOProtocol:
            self.ws_protocol_class = WebSocketProtocol

    def bind_socket(self) -> socket.socket:
        sock = super().bind_socket()
        if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.proto == 0:
            # Family, type and proto are read back from the descriptor: proto becomes TCP.
            sock = socket.socket(fileno=sock.detach())
        return sock


def run(app: str, *, workers: int = 1, **options: Any) -> None:
    """Serve `app` (an import string) as uvicorn.run would, with the socket fixed."""
    config = Config(app, workers=workers, **options)
    server = uvicorn.Server(config)
    if config.workers > 1:
        Multiprocess(config, sockets=[config.bind_socket()]).run()
        return
    server.run()
    if not server.started:
        sys.exit(3)  # uvicorn's STARTUP_FAILURE
