"""Real rows and a real CaseService for the language tests (as tests/cases does)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from odrchat.cases.service import CaseService
from odrchat.cases.unit import Units
from odrchat.settings import Settings
from odrchat.store.db import Database
from tests.cases.world import RecordingFeed


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = Database(db_url)
    try:
        yield database
    finally:
        await database.dispose()


@pytest.fixture
async def svc(db: Database, db_url: str, make_settings: Callable[..., Settings]) -> CaseService:
    return CaseService(Units(make_settings(db_url), db, feed=RecordingFeed()))
