"""The worker's directory of cases: what it decides, when it reads, and when it forgets."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime

from sqlmodel import col, update

from odrchat.cases.tables import Case, Participant
from odrchat.control.machine import NO_CONTROL
from odrchat.control.tables import CaseControl, HiddenMessage, MemberControl
from odrchat.rooms.directory import Directory, expiry, load_views
from odrchat.rooms.presence import MemoryPresence
from odrchat.rooms.service import RoomService
from odrchat.store.db import Database
from tests.rooms.world import build_world


async def _deactivate(db: Database, case_id: int, user_id: int) -> None:
    async with db.session() as s:
        await s.exec(
            update(Participant)
            .where(col(Participant.case_id) == case_id, col(Participant.user_id) == user_id)
            .values(active=False)
        )


async def test_view_decides_access_titles_and_audience(db_url: str) -> None:
    w = await build_world(db_url)
    db = Database(db_url)
    try:
        view = await Directory(db).view(w.case_id)
        assert view is not None
        by_room = {w.rooms[k]: k for k in w.rooms}

        paul = {by_room[a.room_id]: a for a in view.access(w.users["paul"], is_admin=False)}
        assert set(paul) == {"joint", "private:plaintiff"}
        assert paul["private:plaintiff"].title == "Paul + Mediator"
        assert all(a.writable for a in paul.values())

        dana = {by_room[a.room_id] for a in view.access(w.users["dana"], is_admin=False)}
        assert dana == {"joint", "private:defendant"}
        otto = {by_room[a.room_id] for a in view.access(w.users["otto"], is_admin=False)}
        assert otto == {"joint", "mediators"}
        assert view.access(w.users["eve"], is_admin=False) == []
        admin = view.access(w.users["admin"], is_admin=True)
        assert len(admin) == 4 and not any(a.writable for a in admin)

        only = view.access(w.users["mia"], is_admin=False, only=[w.rooms["private:defendant"]])
        assert [a.title for a in only] == ["Dana + Mediator"]

        private = paul["private:plaintiff"].ref
        names = [m["name"] for m in view.audience(private)]
        assert names == ["Paul", "Alex", "Mia", "CCR administration"]
        assert "Dana" not in names and "Otto" not in names
    finally:
        await db.dispose()


async def test_reads_once_until_forgotten(db_url: str) -> None:
    w = await build_world(db_url)
    db = Database(db_url)
    try:
        directory = Directory(db)
        first = await directory.view(w.case_id)
        assert first is not None and directory.loads == 1
        assert await directory.view(w.case_id) is first
        assert await directory.case_of_room(w.rooms["joint"]) == w.case_id
        assert directory.loads == 1

        await _deactivate(db, w.case_id, w.users["alex"])
        stale = await directory.view(w.case_id)
        assert stale is first  # not yet told

        directory.forget(w.case_id)
        fresh = await directory.view(w.case_id)
        assert fresh is not None and directory.loads == 2
        assert fresh.access(w.users["alex"], is_admin=False) == []
        assert first.access(w.users["alex"], is_admin=False) != []

        async with db.session() as s:
            await s.exec(update(Case).where(col(Case.id) == w.case_id).values(status="impasse"))
        directory.forget_all()
        closed = await directory.view(w.case_id)
        assert closed is not None and directory.loads == 3
        assert not any(a.writable for a in closed.access(w.users["paul"], is_admin=False))
    finally:
        await db.dispose()


async def test_views_expire_after_max_age(db_url: str) -> None:
    w = await build_world(db_url)
    db = Database(db_url)
    try:
        directory = Directory(db, max_age=0.0)
        await directory.view(w.case_id)
        await directory.view(w.case_id)
        assert directory.loads == 2
    finally:
        await db.dispose()


def test_views_loaded_together_expire_spread_over_a_second_max_age() -> None:
    """Every case's view loads at once after a restart; if they all expired together, every
    case's next message would reload its view in the same second (an ack stall every 30 s)."""
    assert expiry(100.0, 30.0, 0.0) == 130.0
    assert expiry(100.0, 30.0, 0.5) == 145.0
    assert expiry(100.0, 30.0, 0.999) < 160.0
    draws = [i / 660 for i in range(660)]
    moments = sorted(expiry(0.0, 30.0, d) for d in draws)
    assert moments[0] >= 30.0 and moments[-1] < 60.0
    assert max(b - a for a, b in itertools.pairwise(moments)) < 0.1


async def test_a_load_overlapping_a_change_is_not_kept(db_url: str) -> None:
    """A read that began before a change must not be cached after the change is announced."""
    w = await build_world(db_url)
    db = Database(db_url)
    try:
        directory = Directory(db)
        loading = asyncio.create_task(directory.view(w.case_id))
        await asyncio.sleep(0)  # one turn: the load starts and waits on the database
        assert not loading.done()
        directory.forget(w.case_id)  # the change arrives while the read is in flight
        assert await loading is not None
        assert directory.cached(w.case_id) is None
        await directory.view(w.case_id)
        assert directory.cached(w.case_id) is not None
    finally:
        await db.dispose()


async def test_sockets_that_connect_together_share_one_load(db_url: str) -> None:
    """Ten hellos at once (a storm, the members of one case): with one loading slot the first
    reads alone and the other nine are answered by a single read."""
    w = await build_world(db_url)
    db = Database(db_url)
    try:
        directory = Directory(db, loaders=1)
        views = await asyncio.gather(*(directory.views([w.case_id, 999_999]) for _ in range(10)))
        assert directory.loads == 2
        for found in views:
            assert set(found) == {w.case_id}  # the unknown case is simply absent
            paul = found[w.case_id].access(w.users["paul"], is_admin=False)
            assert {a.room_id for a in paul} == {w.rooms["joint"], w.rooms["private:plaintiff"]}
    finally:
        await db.dispose()


async def test_a_failed_load_reaches_every_caller_waiting_on_it(db_url: str) -> None:
    w = await build_world(db_url)
    nowhere = db_url.rsplit("/", 1)[0] + (
        "/no/such/dir/x.sqlite3" if "sqlite" in db_url else "/odrchat_no_such_database"
    )
    db = Database(nowhere)
    try:
        directory = Directory(db, loaders=1)
        outcomes = await asyncio.gather(
            *(directory.view(w.case_id) for _ in range(3)), return_exceptions=True
        )
        assert all(isinstance(o, Exception) for o in outcomes), outcomes
        assert directory.cached(w.case_id) is None
    finally:
        await db.dispose()


async def test_unknown_rooms_and_cases(db_url: str) -> None:
    await build_world(db_url)
    db = Database(db_url)
    try:
        directory = Directory(db)
        assert await directory.case_of_room(999_999) is None
        assert await directory.view(999_999) is None
        assert directory.cached(999_999) is None
    finally:
        await db.dispose()


async def test_a_cached_room_answers_access_without_a_read_slot(db_url: str) -> None:
    """chat.send asks for access on every message: with the case's view cached, the answer must
    not queue behind replays holding every read slot (a reconnect storm)."""
    from odrchat.rooms.directory import Viewer
    from odrchat.rooms.presence import MemoryPresence
    from odrchat.rooms.service import READ_SLOTS, RoomService

    w = await build_world(db_url)
    db = Database(db_url)
    try:
        rooms = RoomService(db, MemoryPresence())
        paul = Viewer(w.users["paul"], "Paul", False)
        joint = w.rooms["joint"]
        assert await rooms.access(paul, joint) is not None  # loads and caches the case's view
        loads = rooms.directory.loads
        for _ in range(READ_SLOTS):
            await rooms.read_slots.acquire()  # every slot busy, as in a storm
        try:
            acc = await asyncio.wait_for(rooms.access(paul, joint), timeout=5)
            assert acc is not None and acc.room_id == joint and acc.writable
            assert await rooms.access(paul, w.rooms["mediators"]) is None  # same rule, cached
            assert rooms.directory.loads == loads
        finally:
            for _ in range(READ_SLOTS):
                rooms.read_slots.release()
        rooms.directory.forget(w.case_id)  # a change: the next answer is read again
        assert await rooms.access(paul, joint) is not None
        assert rooms.directory.loads == loads + 1
    finally:
        await db.dispose()


async def test_a_batched_load_reads_what_the_transaction_reads(db_url: str) -> None:
    """The directory's batch load (one statement on PostgreSQL) and `load_views` in a
    transaction agree on every fact of a case with every control set, and on a bare case."""
    w = await build_world(db_url)
    db = Database(db_url)
    async with db.session() as s:
        case = Case(
            kind="community",
            status="intake",
            description="A fence",
            initiator_side="plaintiff",
            created_by=w.users["dana"],
        )
        s.add(case)
        await s.flush()
        assert case.id is not None
        bare = case.id
        s.add(Participant(case_id=bare, user_id=w.users["dana"], role="party", side="plaintiff"))
        await RoomService(db, MemoryPresence()).open_case_rooms(s, bare)
    until = datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC)
    try:
        async with db.session() as s:
            s.add(CaseControl(case_id=w.case_id, caucus=True, safety=True, paused=True))
            s.add(MemberControl(case_id=w.case_id, user_id=w.users["dana"], muted_until=until))
            s.add(MemberControl(case_id=w.case_id, user_id=w.users["paul"], removed=True))
            for seq in (3, 1):
                s.add(
                    HiddenMessage(
                        room_id=w.rooms["joint"],
                        seq=seq,
                        case_id=w.case_id,
                        hidden_by=w.users["mia"],
                    )
                )
        await _deactivate(db, w.case_id, w.users["otto"])
        loaded = await Directory(db).views([w.case_id, bare, 999_999])
        async with db.read() as s:
            expected = await load_views(await s.connection(), [w.case_id, bare])
        assert set(loaded) == {w.case_id, bare}
        assert loaded == expected
        control = loaded[w.case_id].control
        assert (control.caucus, control.safety, control.paused) == (True, True, True)
        assert control.muted == ((w.users["dana"], until),)
        assert control.removed == frozenset({w.users["paul"]})
        assert control.hidden == frozenset({(w.rooms["joint"], 1), (w.rooms["joint"], 3)})
        names = [m.name for m in loaded[w.case_id].members]
        assert "Otto" not in names and names[0] == "Paul"
        assert loaded[bare].control == NO_CONTROL
        assert [ref.kind for _, ref in loaded[bare].rooms] == [
            ref.kind for _, ref in loaded[w.case_id].rooms
        ]
    finally:
        await db.dispose()
