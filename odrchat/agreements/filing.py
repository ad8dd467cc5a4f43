"""Filing a signed agreement: the admin's queue, the package, the record.

A court agreement's package is the cover sheet (which lists each signature, and the scan kept
with a paper one), the papers for the court and the signed agreement with its signature record;
marking it filed records the day and the court's reference. A community agreement is never
filed with a court: its package is the centre's closing record (a record sheet under the
centre's reference and the signed agreement), and marking it filed records the day the centre
put it on file, with no court reference; its parties are told it is kept on file by the centre.
Every download is audited. Rendering runs in a worker thread, outside the transaction.
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
from odrchat.cases.kinds import CaseKind, centre_reference, is_court_filed
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
        self, admin: User, agreement_id: int, filed_on: date, court_reference: str | None
    ) -> dict[str, Any]:
        """An admin records that the signed agreement was filed with the court (a community
        one: kept on file by the centre, with no court reference)."""
        async with self.units.begin() as unit:
            case, row, actor = await rows.lock(unit, agreement_id, admin)
            assert case.id is not None
            command = am.MarkFiled(filed_on, court_reference or "")
            await rows.change(unit, case, row, command, actor)
            court = is_court_filed(CaseKind(case.kind))
            detail: dict[str, Any] = {"agreement_id": row.id, "filed_on": filed_on.isoformat()}
            if court:
                detail["court_reference"] = row.court_reference
            else:
                detail["centre_reference"] = centre_reference(case.id)
            await unit.audit(admin.id, "agreement.filed", case.id, detail)
            await views.announce(unit, case, row, "agreement.filed")
            notice = notices.agreement_filed(filed_on, court=court)
            await unit.notify(case.id, notice, optional=True)
            return await views.public(unit.session, case, row)

    async def filing_queue(self) -> list[dict[str, Any]]:
        """Signed agreements that wait to be filed (community: kept on file), oldest first."""
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
                    "centre_reference": views.centre_reference_of(case),
                    "signed_at": row.updated_at.isoformat(),
                    "document_sha256": row.document_sha256,
                }
                for row, case in (await s.exec(stmt)).all()
            ]

    async def filing_package(self, admin: User, agreement_id: int) -> tuple[str, bytes]:
        """The cover sheet and papers for the court and the signed agreement (a community
        agreement: the centre's closing record); every download is audited."""
        async with self.units.begin() as unit:
            case, row, actor = await rows.lock(unit, agreement_id, admin)
            state = await rows.state(unit.session, case, row)
            if actor.role is not Role.ADMIN:
                raise NotFound(N_("Not found."))
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
            courtesy = translations(
                parties, context, row.text, terms.items, state.signatures, tz=unit.settings.tz
            )
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
        prefix = "filing" if is_court_filed(state.kind) else "record"
        return f"{prefix}-{views.pdf_name(row)}", package
