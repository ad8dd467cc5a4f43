"""The safety coordinator on real SQLite and PostgreSQL: the caucus hook, once per flagged case."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import datetime

import pytest

from odrchat.cases.service import CaseService
from odrchat.cases.tables import Case
from odrchat.cases.unit import Unit, Units
from odrchat.errors import Conflict, NotFound
from odrchat.rooms.presence import MemoryPresence
from odrchat.safety.screening import answers_of
from odrchat.safety.service import SafetyService
from odrchat.settings import Settings
from odrchat.store.db import Database
from tests.cases.world import RecordingFeed, add_user, open_case

CALM = answers_of("no", False, False, False)
AFRAID = answers_of("no", True, False, False)


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = Database(db_url)
    try:
        yield database
    finally:
        await database.dispose()


class CaucusHook:
    """Stands in for the room control's `on_flagged` (another package's port): it records the
    case's status inside the caller's unit, where the case row is locked."""

    def __init__(self) -> None:
        self.calls: list[tuple[int | None, str, bool]] = []

    async def __call__(self, unit: Unit, case: Case, now: datetime) -> None:
        self.calls.append((case.id, case.status, unit.session.in_transaction()))


async def test_the_first_flag_of_an_open_case_forces_caucus_once(
    db: Database, db_url: str, make_settings: Callable[..., Settings]
) -> None:
    units = Units(make_settings(db_url), db, feed=RecordingFeed())
    cases = CaseService(units)
    hook = CaucusHook()
    safety = SafetyService(units, MemoryPresence(), on_flagged=hook)
    paul, dana = await add_user(db, "paul"), await add_user(db, "dana")
    case_id, token = await open_case(cases, paul, kind="civil_harassment")
    await cases.accept_invitation(dana, token)

    await safety.answer(paul, case_id, CALM)
    assert hook.calls == []  # nothing flagged yet
    await safety.answer(dana, case_id, AFRAID)
    assert hook.calls == [(case_id, "awaiting_consent", True)]
    await safety.answer(paul, case_id, AFRAID)  # already flagged: no second switch
    await safety.answer(dana, case_id, AFRAID)
    assert len(hook.calls) == 1

    # Only parties answer; a closed case takes no answers.
    mia = await add_user(db, "mia", staff="mediator")
    with pytest.raises(NotFound):
        await safety.answer(mia, case_id, CALM)
    await cases.opt_out(dana, case_id, None)
    with pytest.raises(Conflict):
        await safety.answer(paul, case_id, CALM)
    assert len(hook.calls) == 1
