"""Fee review for community mediations: the centre records whether the fee is waived, paid or
due, and the filing party is told (through the outbox, in their language).

Court-filed cases carry no fee (`kinds.needs_fee_review`); recording one for them is refused.
Each decision is audited; the case shows the latest.
"""

from __future__ import annotations

import enum

from odrchat.auth.tables import User
from odrchat.cases import notices
from odrchat.cases.kinds import CaseKind, needs_fee_review
from odrchat.cases.unit import Units
from odrchat.errors import Conflict
from odrchat.i18n import N_, texts_for


class FeeStatus(enum.StrEnum):
    WAIVED = "waived"
    PAID = "paid"
    DUE = "due"


class Fees:
    """The admin's fee review; part of the case coordinator (`CaseService`)."""

    units: Units

    async def review_fee(self, admin: User, case_id: int, status: FeeStatus) -> None:
        """Record the fee decision and tell the party who filed the case."""
        async with self.units.begin() as unit:
            case, _ = await unit.lock(case_id)
            if not needs_fee_review(CaseKind(case.kind)):
                raise Conflict(N_("Court cases have no fee to review."), code="no_fee")
            before = case.fee_status
            case.fee_status = status.value
            unit.session.add(case)
            detail = {"from": before, "to": status.value}
            await unit.audit(admin.id, "case.fee_reviewed", case_id, detail)
            filer = await unit.session.get(User, case.created_by)
            if filer is not None and before != status.value:
                notice = notices.fee_reviewed(texts_for(filer.language), status.value)
                await unit.send(filer, notice, notices.case_link(unit.settings.public_url, case_id))
