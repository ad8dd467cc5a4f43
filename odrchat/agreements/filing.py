"""Filing a signed court agreement: the admin's queue, the package for the court, the record.

Only court cases are filed (community agreements are final once signed). The package is the
cover sheet (which lists each signature, and the scan kept with a paper one), the papers for the
court and the signed agreement with its signature record; every download is audited.
Rendering runs in a worker thread, outside the transaction.
"""

from __future__ import annotations

import asyncio
import functools
from datetime import date
from typing import Any

from sqlmodel import col, select

from odrchat.agreements import machine as am
from odrchat.agreements import rows, views
from odrchat.agreements.courtesy import translations
from odrchat.agreements.drafting import agreement_context
from odrchat.agreements.packet import render_packet
from odrchat.agreements.tables import AgreementRow
from odrchat.auth.tables import User
from odrchat.cases import notices
from odrchat.cases.kinds import CaseKind, is_court_filed
from odrchat.cases.queries import case_members
from odrchat.cases.roles import Role
from odrchat.cases.tables import Case
from odrchat.cases.unit import Units
from odrchat.errors import Conflict, NotFound
from odrchat.i18n import N_

_SIGNED = (am.AgreementStatus.SIGNED, am.AgreementStatus.FILED)


class Filing:
    """The admin's filing work; part of the agreement coordinator (`AgreementService`)."""

    units: Units

    async def mark_filed(
        self, admin: User, agreement_id: int, filed_on: date, court_reference: str
    ) -> dict[str, Any]:
        """An admin records that the signed agreement was filed with the court."""
        async with self.units.begin() as unit:
            case, row, actor = await rows.lock(unit, agreement_id, admin)
            assert case.id is not None
            await rows.change(unit, case, row, am.MarkFiled(filed_on, court_reference), actor)
            detail = {
                "agreement_id": row.id,
                "filed_on": filed_on.isoformat(),
                "court_reference": row.court_reference,
            }
            await unit.audit(admin.id, "agreement.filed", case.id, detail)
            await views.announce(unit, case, row, "agreement.filed")
            notice = notices.agreement_filed(filed_on)
            await unit.notify(case.id, notice, optional=True)
            return await views.public(unit.session, case, row)

    async def filing_queue(self) -> list[dict[str, Any]]:
        """Signed court-case agreements that wait to be filed, oldest first."""
        async with self.units.db.session() as s:
            stmt = (
                select(AgreementRow, Case)
                .join(Case, col(Case.id) == col(AgreementRow.case_id))
                .where(col(AgreementRow.status) == am.AgreementStatus.SIGNED.value)
                .order_by(col(AgreementRow.updated_at))
            )
            return [
                {
                    "agreement_id": row.id,
                    "case_id": case.id,
                    "kind": case.kind,
                    "court_name": case.court_name,
                    "court_case_number": case.court_case_number,
                    "signed_at": row.updated_at.isoformat(),
                    "document_sha256": row.document_sha256,
                }
                for row, case in (await s.exec(stmt)).all()
                if is_court_filed(CaseKind(case.kind))
            ]

    async def filing_package(self, admin: User, agreement_id: int) -> tuple[str, bytes]:
        """The cover sheet and signed agreement for the court; every download is audited."""
        async with self.units.begin() as unit:
            case, row, actor = await rows.lock(unit, agreement_id, admin)
            state = await rows.state(unit.session, case, row)
            if actor.role is not Role.ADMIN:
                raise NotFound(N_("Not found."))
            if not is_court_filed(state.kind):
                raise Conflict(N_("Community agreements are not filed with a court."))
            if state.status not in _SIGNED:
                raise Conflict(N_("The agreement is not signed by everyone yet."))
            day = rows.agreement_day(row, unit.settings.tz)
            context = await agreement_context(unit.session, case, day)
            terms = await rows.terms_of(unit.session, row)
            recorders = await rows.recorders(unit.session, state)
            scans = await rows.scans(unit.session, state)
            # A courtesy translation for each language a party reads other than English.
            parties = [
                u.language
                for p, u in await case_members(unit.session, case.id or 0)
                if p.role == Role.PARTY.value
            ]
            courtesy = translations(parties, context, row.text, terms.items, state.signatures)
            detail = {"agreement_id": row.id}
            await unit.audit(admin.id, "agreement.filing_package_downloaded", case.id, detail)
        package = await asyncio.to_thread(
            functools.partial(
                render_packet,
                context,
                row.text,
                terms.items,
                state.signatures,
                rows.options(row),
                filing=state.filing,
                tz=self.units.settings.tz,
                recorders=recorders,
                scans=scans,
                courtesy=courtesy,
            )
        )
        return f"filing-{views.pdf_name(row)}", package
