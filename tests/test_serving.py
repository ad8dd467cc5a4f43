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
