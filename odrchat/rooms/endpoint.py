"""The WebSocket endpoint: authenticate, check the Origin, hand the socket to a Connection."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from starlette.websockets import WebSocket, WebSocketState

from odrchat import protocol as p
from odrchat.auth.csrf import origin_allowed
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
    current = await services.current(websocket)
    await websocket.accept()
    if current is None:
        await _close(websocket, p.CLOSE_UNAUTHENTICATED)
        return
    hub = services.hub
    account = current.user
    assert account.id is not None
    user = Viewer(account.id, account.display_name, account.is_admin)
    session_id = current.session.id
    assert session_id is not None
    # The socket keeps the Viewer and the session's id only: not the account row, not the
    # session row.
    websocket.scope.pop("odrchat.current", None)
    del current, account
    ip = websocket.client.host if websocket.client else ""
    conn = Connection(websocket, user, hub, ip, hub.user_bucket(user.id), session_id)
    if not hub.admit(conn):
        await _close(websocket, p.CLOSE_TOO_MANY)
        return
    try:
        await conn.run(await _hello(services, user))
    finally:
        hub.release(conn)


async def _hello(services: Services, user: Viewer) -> str:
    """The first frame, as text (nothing of it stays referenced once it is sent)."""
    rooms = await services.rooms.accessible_rooms(user)
    return p.hello(user.id, user.display_name, [acc.describe(head) for acc, head in rooms])


async def _close(websocket: WebSocket, code: int) -> None:
    if websocket.application_state == WebSocketState.DISCONNECTED:
        return
    if websocket.client_state == WebSocketState.DISCONNECTED:
        return
    try:
        async with asyncio.timeout(2):
            await websocket.close(code)
    except (TimeoutError, RuntimeError, OSError):
        pass
