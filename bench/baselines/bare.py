"""Baseline (a): a bare Starlette room broadcast, the ceiling of the stack.

No auth, no storage, no sequence numbers. A client joins rooms with
``{"t": "join", "rooms": [1, 2]}`` (answered ``{"t": "joined"}``) and sends
``{"t": "msg", "room": 1, "text": "..."}``; the server forwards that exact frame to every member
of the room, the sender included. Anything a real chat server does costs more than this.
"""

from __future__ import annotations

import json

from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

ROOMS: dict[int, set[WebSocket]] = {}


async def chat(ws: WebSocket) -> None:
    """Join rooms and forward every message frame to the room's members."""
    await ws.accept()
    mine: list[int] = []
    try:
        while True:
            raw = await ws.receive_text()
            frame = json.loads(raw)
            if frame["t"] == "msg":
                for member in tuple(ROOMS.get(frame["room"], ())):
                    # try/except, not contextlib.suppress: this is the hot loop of the ceiling.
                    try:  # noqa: SIM105
                        await member.send_text(raw)
                    except (WebSocketDisconnect, RuntimeError):
                        pass  # a member that left mid-broadcast; its own handler cleans up
            elif frame["t"] == "join":
                for room in frame["rooms"]:
                    ROOMS.setdefault(room, set()).add(ws)
                    mine.append(room)
                await ws.send_text('{"t":"joined"}')
    except WebSocketDisconnect:
        pass
    finally:
        for room in mine:
            members = ROOMS.get(room)
            if members is not None:
                members.discard(ws)
                if not members:
                    del ROOMS[room]


app = Starlette(routes=[WebSocketRoute("/ws", chat)])
