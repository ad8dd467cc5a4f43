"""The hub: head checks (a lost last message is caught, an event on its way is not
fetched), and sessions that end while sockets arrive."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from odrchat.auth.revocation import Revoked
from odrchat.broker.memory import MemoryBroker
from odrchat.rooms.hub import Hub
from odrchat.rooms.presence import MemoryPresence
from odrchat.rooms.sendqueue import Item, Sync
from odrchat.rooms.service import RoomService
from odrchat.store.db import Database
from tests.rooms.world import build_world


@dataclass(eq=False)
class Socket:
    """A watcher that keeps what the hub offers it."""

    user_id: int
    ip: str = "127.0.0.1"
    session_id: int = 1
    offered: list[Item] = field(default_factory=list)

    def offer(self, item: Item) -> None:
        self.offered.append(item)

    def kill(self, code: int) -> None:
        raise AssertionError(f"killed with {code}")

    def syncs(self) -> list[Sync]:
        return [i for i in self.offered if isinstance(i, Sync)]


async def test_periodic_checks_nudge_only_for_a_head_the_check_before_also_read(
    db_url: str,
) -> None:
    w = await build_world(db_url)
    db = Database(db_url)
    broker = MemoryBroker()
    await broker.connect()
    rooms = RoomService(db, MemoryPresence())
    hub = Hub(broker, rooms)
    joint = w.rooms["joint"]
    paul = Socket(w.users["paul"])
    try:
        await hub.join(paul, joint, w.case_id)

        async def store() -> int:
            async with db.session() as s:
                ev = await rooms.append_event(s, joint, "case.note", {"n": 1})
            return ev.seq

        # An event whose doorbell is heard between two checks is never fetched.
        on_its_way = await store()
        await hub.check_heads(settled=True)
        hub._deliver(joint, on_its_way, '{"type":"event"}')
        await hub.check_heads(settled=True)
        assert paul.syncs() == []

        # A lost last message: the first check sees it, the next one nudges the socket.
        lost = await store()
        await hub.check_heads(settled=True)
        assert paul.syncs() == []
        await hub.check_heads(settled=True)
        assert paul.syncs() == [Sync(joint, lost)]
        await hub.check_heads(settled=True)
        assert len(paul.syncs()) == 1  # delivered now: not again

        # After a broker gap every room behind is nudged at once.
        missed = await store()
        await hub.check_heads()
        assert paul.syncs()[-1] == Sync(joint, missed) and len(paul.syncs()) == 2
    finally:
        hub.leave(paul, joint)
        await broker.disconnect()
        await db.dispose()


async def test_a_session_that_ends_while_a_socket_reads_it_keeps_that_socket_out(
    tmp_path: Path,
) -> None:
    """A socket whose read of its session began before a logout read it as still standing, and
    was not in the hub yet to be closed by it: the hub remembers the ending for it."""
    db = Database(f"sqlite:///{tmp_path}/hub.sqlite3")
    broker = MemoryBroker()
    await broker.connect()
    hub = Hub(broker, RoomService(db, MemoryPresence()))
    try:
        before = time.monotonic()
        await hub.sessions_revoked(Revoked(7, only=70))  # logout of session 70
        await hub.sessions_revoked(Revoked(8, kept=81))  # password change: all but 81
        after = time.monotonic()
        assert hub.ended_since(7, 70, before)
        assert not hub.ended_since(7, 71, before)  # another session of the same user
        assert not hub.ended_since(7, 70, after)  # read after the logout: it saw it
        assert hub.ended_since(8, 80, before) and not hub.ended_since(8, 81, before)
        assert not hub.ended_since(8, 82, after)  # a login after the change
        assert not hub.ended_since(9, 70, before)
    finally:
        await broker.disconnect()
        await db.dispose()
