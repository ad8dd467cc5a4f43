"""The WebSocket endpoint: authenticate, check the Origin, hand the socket to a Connection."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from starlette.websockets import WebSocket, WebSocketState

from odrchat import protocol as p
from odrchat.auth import csrf
from odrchat.auth.csrf import origin_allowed
from odrchat.rooms.arrivals import Arrival
from odrchat.rooms.connection import Connection
from odrchat.rooms.directory import Viewer

if TYPE_CHECKING:
    from odrchat.services import Services

log = logging.getLogger("odrchat.rooms")


async def websocket_endpoint(websocket: WebSocket) -> None:
    """`/ws`: one socket per browser, any number of rooms (docs/protocol.md)."""
    services: Services = websocket.state.services
    settings = services.settings
    origin = websocket.headers.get("origin")
    # Cross-site WebSocket hijacking: browsers always send Origin on a WebSocket handshake, and
    # cookies ride along, so a foreign (or missing, or "null") Origin is refused before accept.
    if not origin or not origin_allowed(websocket, settings):
        await websocket.close(code=1008)
        return
    # One batched read answers who this is and what their hello lists (rooms/arrivals.py);
    # whether the session still stands is the rule every HTTP request follows.
    session_cookie, _ = csrf.cookie_names(settings)
    arrival = await services.rooms.arrivals.read(websocket.cookies.get(session_cookie))
    if arrival is not None and not await services.auth.admits(arrival.stamp):
        arrival = None
    hub = services.hub
    if arrival is not None and hub.ended_since(
        arrival.stamp.user_id, arrival.stamp.session_id, arrival.read_at
    ):
        arrival = None  # logged out (elsewhere) while this socket's read was out
    if arrival is None:
        await _refuse(websocket, p.CLOSE_UNAUTHENTICATED)
        return
    stamp = arrival.stamp
    user = Viewer(stamp.user_id, arrival.display_name, arrival.is_admin)
    ip = websocket.client.host if websocket.client else ""
    conn = Connection(websocket, user, hub, ip, hub.user_bucket(user.id), stamp.session_id)
    if not hub.admit(conn):
        await _refuse(websocket, p.CLOSE_TOO_MANY)
        return
    try:
        # Admitted first, so whatever changes while hello is read follows it (rooms.changed);
        # accepted only once hello is ready, so the handshake's answer and hello leave in one
        # send (odrchat.serving.CorkedTransport) instead of two.
        hello = await _hello(services, user, arrival)
        await websocket.accept()
        await conn.run(hello)
    finally:
        hub.release(conn)


async def _hello(services: Services, user: Viewer, arrival: Arrival) -> str:
    """The first frame, as text (nothing of it stays referenced once it is sent)."""
    rooms = await services.rooms.rooms_in(user, arrival.case_ids, arrival.heads)
    return p.hello(user.id, user.display_name, [acc.describe(head) for acc, head in rooms])


async def _refuse(websocket: WebSocket, code: int) -> None:
    """Accept, then close with `code` at once: the client reads why it was refused."""
    await websocket.accept()
    if websocket.application_state == WebSocketState.DISCONNECTED:
        return
    if websocket.client_state == WebSocketState.DISCONNECTED:
        return
    try:
        async with asyncio.timeout(2):
            await websocket.close(code)
    except (TimeoutError, RuntimeError, OSError):
        pass
