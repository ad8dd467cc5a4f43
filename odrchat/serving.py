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
"""

from __future__ import annotations

import socket
import sys
from typing import Any

import uvicorn
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from uvicorn.supervisors import Multiprocess

BACKLOG = 16  # received WebSocket messages waiting for the app before reads pause


class WebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's sans-I/O WebSocket protocol, pausing reads only behind a backlog."""

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
