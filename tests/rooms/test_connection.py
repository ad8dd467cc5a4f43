"""A socket's Connection: hello is its first frame, ahead of anything queued while it was read."""

from __future__ import annotations

import asyncio
from typing import Any

from odrchat.rooms.bucket import TokenBucket
from odrchat.rooms.connection import Connection
from odrchat.rooms.directory import Viewer
from odrchat.rooms.sendqueue import Send


class Socket:
    """The two calls a Connection makes of Starlette's WebSocket, recorded: frames sent, and
    a client that disconnects once it has read `until` frames."""

    def __init__(self, until: int) -> None:
        self.sent: list[str] = []
        self.until = until
        self.enough = asyncio.Event()

    async def send_text(self, text: str) -> None:
        self.sent.append(text)
        if len(self.sent) >= self.until:
            self.enough.set()

    async def receive(self) -> dict[str, Any]:
        await self.enough.wait()
        return {"type": "websocket.disconnect", "code": 1000}


class Hub:
    def __init__(self) -> None:
        self.released: list[Connection] = []

    def release(self, conn: Connection) -> None:
        self.released.append(conn)


async def test_hello_goes_ahead_of_what_was_queued_while_it_was_read() -> None:
    ws, hub = Socket(until=3), Hub()
    conn = Connection(ws, Viewer(7, "Ana", False), hub, "127.0.0.1", TokenBucket(1, 1))  # type: ignore[arg-type]
    # Admitted before hello is ready: the hub may already have queued frames for it.
    conn.offer(Send("queued 1"))
    conn.offer(Send("queued 2"))
    await asyncio.wait_for(conn.run("hello"), 10)
    assert ws.sent == ["hello", "queued 1", "queued 2"]
    assert hub.released == [conn]
    assert conn.dead
