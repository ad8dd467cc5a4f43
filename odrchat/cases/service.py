"""The case coordinator: consent, outcomes, participants and reading, plus (mixed in from their
own modules) intake and invitations (`invitations.Invitations`) and staffing (`staffing.Staffing`).

Every change is one unit of work (`odrchat.cases.unit`): lock the case, resolve the actor
(outsiders get 404), decide with the pure machine, write what its events say, queue the
notifications, then wake the outbox and flush the feed once after the commit. The opt-out reason
goes to `cases.opt_out_reason` and the audit log, never into an event, a feed payload, an email
or a participant's view.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sqlmodel import col, select

from odrchat.auth.tables import User
from odrchat.background import stop_if_cancelled
from odrchat.cases import machine as m
from odrchat.cases import notices
from odrchat.cases.fees import Fees
from odrchat.cases.invitations import Invitations
from odrchat.cases.legal import LegalText, agreement_to_mediate
from odrchat.cases.roles import Role
from odrchat.cases.staffing import Staffing, observer_account, observer_by_email
from odrchat.cases.tables import ConsentRow
from odrchat.cases.unit import Unit, Units
from odrchat.cases.views import case_detail
from odrchat.store.types import utcnow

log = logging.getLogger("odrchat.cases")

EXPIRY_EVERY = 60.0  # seconds between sweeps for unanswered invitations


class CaseService(Invitations, Staffing, Fees):
    """Opens cases, runs invitations, consent, assignment and outcomes."""

    def __init__(self, units: Units) -> None:
        self.units = units
        self.settings = units.settings
        self.db = units.db

    # -- consent and outcomes ---------------------------------------------------------------

    async def consent(
        self, user: User, case_id: int, text_version: str, language: str | None = None
    ) -> None:
        """A party accepts the agreement to mediate, naming the version they read; the consent
        records the language of the text they read and that text's SHA-256 (odrchat.cases.legal),
        on its row and in the audit log."""
        now = utcnow()
        read = agreement_to_mediate(language or user.language)
        async with self.units.begin() as unit:
            case, actor = await unit.lock(case_id, user)
            _, events = await unit.change(case, m.Consent(text_version), actor, now)
            for event in events:
                if isinstance(event, m.ConsentRecorded):
                    await _record_language(unit, case_id, event.side.value, read)
                    detail = {
                        "side": event.side.value,
                        "text_version": text_version,
                        "language": read.language,
                        "language_version": read.language_version,
                        "text_sha256": read.sha256,
                    }
                    await unit.audit(user.id, "case.consented", case_id, detail, now=now)
            if any(isinstance(e, m.ReadyForMediator) for e in events):
                await unit.notify(case_id, notices.ready_for_mediator(), optional=True)

    async def opt_out(self, user: User, case_id: int, reason: str | None) -> None:
        """Stop mediation for everybody; the reason is kept for admins' audit only."""
        now = utcnow()
        async with self.units.begin() as unit:
            case, actor = await unit.lock(case_id, user)
            await unit.change(case, m.OptOut(reason), actor, now)
            case.opt_out_reason = reason
            unit.session.add(case)
            detail = {"role": actor.role.value, "side": actor.side, "reason": reason}
            await unit.audit(user.id, "case.opted_out", case_id, detail, now=now)
            await unit.close(case, m.Outcome.OPTED_OUT, now)

    async def record_impasse(self, user: User, case_id: int) -> None:
        """The mediator records that no agreement was reached."""
        now = utcnow()
        async with self.units.begin() as unit:
            case, actor = await unit.lock(case_id, user)
            await unit.change(case, m.RecordImpasse(), actor, now)
            await unit.close(case, m.Outcome.IMPASSE, now)

    async def record_settlement(self, case_id: int) -> None:
        """Close the case as settled (the agreement coordinator settles inside its own unit)."""
        async with self.units.begin() as unit:
            case, _ = await unit.lock(case_id)
            await unit.settle(case, utcnow())

    # -- participants ------------------------------------------------------------------------

    async def add_observer(
        self, user: User, case_id: int, observer_id: int | None, *, email: str | None = None
    ) -> None:
        """The mediator or an admin adds a mediator in training (by account or address), who
        waits for approval (the mediator's or an admin's)."""
        async with self.units.begin() as unit:
            case, actor = await unit.lock(case_id, user)
            if observer_id is None:
                observer_id = await observer_by_email(unit.session, email)
            await observer_account(unit.session, observer_id)
            command = m.AddParticipant(observer_id, Role.OBSERVER)
            await unit.change(case, command, actor, utcnow())

    async def approve_observer(self, user: User, case_id: int, observer_id: int) -> None:
        """The mediator (or an admin) approves an observer, who from now on reads the joint
        conversation."""
        async with self.units.begin() as unit:
            case, actor = await unit.lock(case_id, user)
            await unit.change(case, m.ApproveObserver(observer_id), actor, utcnow())
            observer = await unit.session.get(User, observer_id)
            assert observer is not None
            notice = notices.participant_added(
                observer.display_name, notices.ROLE_WORDS[Role.OBSERVER]
            )
            await unit.notify(case_id, notice, optional=True, exclude={observer_id})

    async def remove_participant(self, user: User, case_id: int, target_id: int) -> None:
        """Remove (or, for oneself, leave as) an attorney or observer."""
        async with self.units.begin() as unit:
            case, actor = await unit.lock(case_id, user)
            await unit.change(case, m.RemoveParticipant(target_id), actor, utcnow())
            target = await unit.session.get(User, target_id)
            assert target is not None
            notice = notices.participant_removed(target.display_name)
            await unit.notify(case_id, notice, optional=True, exclude={user.id or 0})

    # -- reading -----------------------------------------------------------------------------

    async def detail(self, user: User, case_id: int) -> dict[str, Any]:
        """A case as this user may see it; an admin's view is written to the audit log."""
        async with self.units.begin() as unit:
            case, actor = await unit.enter(case_id, user)
            if actor.role is Role.ADMIN:
                await unit.audit(user.id, "case.viewed", case_id, {})
            return await case_detail(unit.session, case, actor, self.settings.screening_kinds)

    async def run(self) -> None:
        """Sweep for unanswered invitations every minute until cancelled."""
        while True:
            stop_if_cancelled()
            try:
                count = await self.expire_invitations(utcnow())
                if count:
                    log.info("expired %d unanswered invitation(s)", count)
            except Exception:  # supervision boundary: a database blip must not end the sweeper
                log.exception("invitation expiry sweep failed")
            await asyncio.sleep(EXPIRY_EVERY)


async def _record_language(unit: Unit, case_id: int, side: str, read: LegalText) -> None:
    """Stamp the consent just written with the language version that was read."""
    stmt = select(ConsentRow).where(
        col(ConsentRow.case_id) == case_id, col(ConsentRow.side) == side
    )
    row = (await unit.session.exec(stmt)).first()
    assert row is not None  # written by the ConsentRecorded event in this transaction
    row.text_language = read.language
    row.text_sha256 = read.sha256
    unit.session.add(row)
