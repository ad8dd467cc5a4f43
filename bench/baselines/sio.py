"""Baseline (b): python-socketio with the Redis manager, the usual off-the-shelf choice.

Run with 2 workers: every emit goes through Redis pub/sub so a room spans workers. Clients join
with the event ``join`` (a list of room numbers; acknowledged) and send ``msg``
``{"room": 1, "text": "..."}``, which is emitted to the room, the sender included.
"""

from __future__ import annotations

import os
from typing import Any

import socketio  # type: ignore[import-untyped]

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379")

sio = socketio.AsyncServer(
    async_mode="asgi",
    client_manager=socketio.AsyncRedisManager(REDIS_URL, channel="bench-sio"),
    cors_allowed_origins="*",
    transports=["websocket"],
    max_http_buffer_size=65536,
)


@sio.on("join")  # type: ignore[untyped-decorator]
async def join(sid: str, rooms: list[int]) -> bool:
    """Enter every listed room; the ack tells the client it is subscribed."""
    for room in rooms:
        await sio.enter_room(sid, f"r{room}")
    return True


@sio.on("msg")  # type: ignore[untyped-decorator]
async def msg(sid: str, data: dict[str, Any]) -> None:
    """Emit the message to its room, the sender included."""
    await sio.emit("msg", data, room=f"r{data['room']}")


app = socketio.ASGIApp(sio)
