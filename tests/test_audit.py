"""The audit log is append-only, written in the caller's transaction, and read newest first."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

import odrchat.audit
from odrchat import audit
from odrchat.store.db import Database
from odrchat.store.types import utcnow
from tests.cases.world import add_user


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = Database(db_url)
    try:
        yield database
    finally:
        await database.dispose()


def test_the_public_surface_has_no_way_to_change_or_delete_entries() -> None:
    assert sorted(odrchat.audit.__all__) == [
        "AuditEntry",
        "Filter",
        "case_roles",
        "csv_rows",
        "entries",
        "entry_json",
        "read",
        "record",
        "role_of",
    ]
    assert not [name for name in dir(odrchat.audit) if name.startswith(("update", "delete"))]


async def test_entries_are_recorded_and_listed_newest_first(db: Database) -> None:
    admin = await add_user(db, "root", staff="admin")
    start = utcnow()
    async with db.session() as s:
        first = await audit.record(s, admin.id, "case.viewed", 7, {}, now=start)
        await audit.record(s, None, "mediator.availability", None, {"available": False})
        await audit.record(s, admin.id, "case.opted_out", 7, {"reason": "ünïcode", "at": start})
    async with db.session() as s:
        everything = await audit.entries(s)
        for_case = await audit.entries(s, case_id=7)
        older = await audit.entries(s, before_id=everything[0].id, limit=1)
    assert [e.action for e in everything] == [
        "case.opted_out",
        "mediator.availability",
        "case.viewed",
    ]
    assert [e.action for e in for_case] == ["case.opted_out", "case.viewed"]
    assert [e.action for e in older] == ["mediator.availability"]
    shown = audit.entry_json(everything[0])
    assert shown["detail"] == {"reason": "ünïcode", "at": str(start)}
    assert shown["actor_user_id"] == admin.id and shown["case_id"] == 7
    assert first.at == start and abs(everything[1].at - start) < timedelta(minutes=1)


async def test_an_entry_exists_only_if_its_transaction_commits(db: Database) -> None:
    class Abort(Exception):
        pass

    with pytest.raises(Abort):
        async with db.session() as s:
            await audit.record(s, None, "case.viewed", 1, {})
            raise Abort
    async with db.session() as s:
        assert await audit.entries(s) == []
