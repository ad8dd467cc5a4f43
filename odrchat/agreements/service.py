"""The agreement coordinator: clarify, send for signature, authorise, sign; filing mixed in.

Every change is one unit of work (`odrchat.cases.unit`): lock the case row, then the agreement
row (the order every offer and case change also takes, so they cannot deadlock), rebuild the
pure `Agreement` from rows, run `machine.apply`, write exactly what its events say, store each
event in the case's joint room and queue the emails; the unit flushes the feed once after the
commit. Drafting lives in `drafting`, the public view in `views`, filing in `filing` and the
signed PDF's email in `mailing`.

What leaves for the court is the rendered text (structured terms, case facts and the mediator's
clarifications only: the template never sees chat) with the signature record and a cover sheet.
Signing asks for the password again; wrong passwords count against the login throttle. The PDF
is rendered after the signing commits, in a worker thread (see `mailing`).
"""

from __future__ import annotations

import asyncio
import functools
import json
from datetime import datetime
from typing import Any

from odrchat.agreements import machine as am
from odrchat.agreements import rows, views
from odrchat.agreements.courtesy import translations
from odrchat.agreements.dates import local_date
from odrchat.agreements.drafting import agreement_context, draft
from odrchat.agreements.filing import Filing
from odrchat.agreements.mailing import Signed, mail_signed, render_signed
from odrchat.agreements.packet import render_signature_page
from odrchat.agreements.paying import Paying, schedule
from odrchat.agreements.tables import AgreementRow
from odrchat.agreements.templates import (
    AgreementOptions,
    TemplateError,
    render_agreement,
)
from odrchat.auth import throttle
from odrchat.auth.service import AuthService
from odrchat.auth.tables import User
from odrchat.cases import notices
from odrchat.cases.queries import case_members
from odrchat.cases.roles import Role, Side
from odrchat.cases.tables import Case
from odrchat.cases.unit import Unit, Units
from odrchat.documents.tables import Document
from odrchat.errors import Conflict, Forbidden, Invalid, NotFound, TooMany
from odrchat.i18n import N_
from odrchat.offers.tables import OfferRow, stored_terms
from odrchat.store.types import utcnow

_STAFF = (Role.MEDIATOR, Role.CO_MEDIATOR)


class AgreementService(Filing, Paying):
    """Drafts, clarifies, signs and files the settlement agreement of a case."""

    of_case = staticmethod(rows.of_case)

    def __init__(self, units: Units, auth: AuthService) -> None:
        self.units = units
        self.db = units.db
        self.auth = auth

    # -- drafting and clarifying -------------------------------------------------------------

    async def create_from_offer(self, user: User, case_id: int, offer_id: int) -> dict[str, Any]:
        """The mediator marks agreement reached from an accepted offer's terms."""
        async with self.units.begin() as unit:
            case, actor = await unit.lock(case_id, user, approved=True)
            if actor.role not in _STAFF:
                raise Forbidden(N_("Only the mediator marks an agreement reached."))
            unit.require_mediation(case)
            offer = await unit.session.get(OfferRow, offer_id)
            if offer is None or offer.case_id != case_id:
                raise NotFound(N_("Not found."))
            if offer.status != "accepted":
                raise Conflict(N_("Only an accepted offer's terms become an agreement."))
            row = await draft(unit, case, offer_id, stored_terms(offer), utcnow())
            return await views.public(unit.session, case, row)

    async def edit(
        self,
        user: User,
        agreement_id: int,
        clarifications: str,
        options: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The mediator adds clarifying wording and sets the options chosen with the parties
        (standard clauses, the unlawful detainer route); signatures given are voided, and said so.
        """
        try:
            chosen = None if options is None else AgreementOptions.from_json(options)
        except ValueError as exc:
            raise Invalid(N_("Some fields need attention."), fields={"options": str(exc)}) from None
        async with self.units.begin() as unit:
            s = unit.session
            case, row, actor = await rows.lock(unit, agreement_id, user)
            unit.require_mediation(case)
            day = rows.agreement_day(row, unit.settings.tz)
            context = await agreement_context(s, case, day)
            terms = await rows.terms_of(s, row)
            chosen = chosen or rows.options(row)
            try:
                text = render_agreement(context, terms, clarifications, chosen)
            except TemplateError as exc:
                raise rows.ask(exc) from None
            _, events = await rows.change(unit, case, row, am.Edit(text, utcnow()), actor)
            row.clarifications = clarifications.replace("\r\n", "\n").strip()
            row.options = json.dumps(chosen.to_json())
            s.add(row)
            voided = next((e for e in events if isinstance(e, am.SignaturesVoided)), None)
            note = voided.note if voided else None
            await views.announce(unit, case, row, "agreement.updated", change="edited", note=note)
            if voided is not None:
                names = [signature.typed_name for signature in voided.signatures]
                notice = notices.signatures_voided(names)
                await unit.notify(row.case_id, notice, optional=False)
            return await views.public(s, case, row)

    async def send_for_signature(self, user: User, agreement_id: int) -> dict[str, Any]:
        """The lead mediator declares the text final and asks the parties to sign."""
        async with self.units.begin() as unit:
            case, row, actor = await rows.lock(unit, agreement_id, user)
            unit.require_mediation(case)
            await rows.change(unit, case, row, am.SendForSignature(), actor)
            await views.announce(unit, case, row, "agreement.updated", change="sent_for_signature")
            await unit.notify(row.case_id, notices.sign_please(), optional=False, topic="offers")
            return await views.public(unit.session, case, row)

    async def authorise_attorney(
        self, user: User, agreement_id: int, attorney_user_id: int
    ) -> dict[str, Any]:
        """A party expressly authorises their own attorney to sign for their side."""
        async with self.units.begin() as unit:
            case, row, actor = await rows.lock(unit, agreement_id, user)
            unit.require_mediation(case)
            assert case.id is not None
            attorneys = {
                p.user_id
                for p, _ in await case_members(unit.session, case.id)
                if p.role == Role.ATTORNEY and actor.side and p.side == actor.side.value
            }
            if actor.role is Role.PARTY and attorney_user_id not in attorneys:
                raise Invalid(
                    N_("That person is not your attorney in this case."),
                    fields={"attorney_user_id": N_("not your attorney in this case")},
                )
            now = utcnow()
            command = am.AuthoriseAttorney(attorney_user_id, now)
            await rows.change(unit, case, row, command, actor)
            detail = {"agreement_id": row.id, "attorney_user_id": attorney_user_id}
            await unit.audit(user.id, "agreement.attorney_authorised", case.id, detail, now=now)
            await views.announce(unit, case, row, "agreement.updated", change="attorney_authorised")
            return await views.public(unit.session, case, row)

    # -- signing -----------------------------------------------------------------------------

    async def sign(
        self,
        user: User,
        agreement_id: int,
        *,
        password: str,
        typed_name: str,
        esign_consent: bool,
        agree_bound: bool,
        document_sha256: str,
        ip: str,
        user_agent: str,
    ) -> dict[str, Any]:
        """Sign with a re-entered password; the last side's signature settles the case."""
        async with self.units.begin() as unit:
            await rows.lock(unit, agreement_id, user)  # outsiders learn nothing, cheaply
        await self._check_password(user, password, ip)
        signed: Signed | None = None
        async with self.units.begin() as unit:
            case, row, actor = await rows.lock(unit, agreement_id, user)
            unit.require_mediation(case)
            assert case.id is not None
            now = utcnow()
            command = am.Sign(
                typed_name=typed_name,
                expected_name=user.display_name,
                document_sha256=document_sha256,
                esign_consent=esign_consent,
                agree_bound=agree_bound,
                ip=ip[:64],
                user_agent=user_agent[:255],
                at=now,
            )
            new, events = await rows.change(unit, case, row, command, actor)
            detail = {
                "agreement_id": row.id,
                "side": actor.side,
                "role": actor.role.value,
                "document_sha256": row.document_sha256,
                "ip": ip[:64],
            }
            await unit.audit(user.id, "agreement.signed", case.id, detail, now=now)
            side = actor.side.value if actor.side else None
            signed = await _signed(unit, case, row, new, events, side)
            result = await views.public(unit.session, case, row)
        if signed is not None:
            # After the commit, off the event loop: the text is final and immutable now.
            await mail_signed(self.units, case.id, views.pdf_name(row), signed)
        return result

    async def record_paper_signature(
        self,
        staff: User,
        agreement_id: int,
        *,
        signer_user_id: int,
        signed_at: datetime,
        document_sha256: str,
        scan_document_id: int | None = None,
    ) -> dict[str, Any]:
        """Staff record a party's wet-ink signature of the printed text with that hash, with
        the scan of the signed page when they attach one (a document of this case)."""
        signed: Signed | None = None
        async with self.units.begin() as unit:
            case, row, actor = await rows.lock(unit, agreement_id, staff)
            unit.require_mediation(case)
            assert case.id is not None
            party = next(
                (
                    (p, u)
                    for p, u in await case_members(unit.session, case.id)
                    if p.user_id == signer_user_id and p.role == Role.PARTY and p.side
                ),
                None,
            )
            if party is None:
                raise Invalid(
                    N_("That person is not a party in this case."),
                    fields={"signer_user_id": N_("not a party in this case")},
                )
            part, signer = party
            assert part.side is not None  # the query above keeps parties with a side
            if scan_document_id is not None:
                scan = await unit.session.get(Document, scan_document_id)
                if scan is None or scan.case_id != case.id:
                    raise Invalid(
                        N_("That scan is not a document of this case."),
                        fields={"scan_document_id": N_("not a document of this case")},
                    )
            now = utcnow()
            command = am.RecordPaperSignature(
                signer_user_id=signer_user_id,
                for_side=Side(part.side),
                printed_name=signer.display_name,
                signed_at=signed_at,
                document_sha256=document_sha256,
                at=now,
                scan_document_id=scan_document_id,
            )
            new, events = await rows.change(unit, case, row, command, actor)
            detail = {
                "agreement_id": row.id,
                "scan_document_id": scan_document_id,
                "signer_user_id": signer_user_id,
                "side": part.side,
                "signed_at": signed_at.isoformat(),
                "document_sha256": row.document_sha256,
            }
            action = "agreement.paper_signature_recorded"
            await unit.audit(staff.id, action, case.id, detail, now=now)
            signed = await _signed(unit, case, row, new, events, part.side)
            result = await views.public(unit.session, case, row)
        if signed is not None:
            await mail_signed(self.units, case.id, views.pdf_name(row), signed)
        return result

    async def signature_page(self, user: User, agreement_id: int) -> tuple[str, bytes]:
        """The text out for signature with a page to sign in ink, for the parties and staff."""
        async with self.units.begin() as unit:
            case, row, actor = await rows.lock(unit, agreement_id, user)
            if actor.role not in (Role.PARTY, *_STAFF, Role.ADMIN):
                # Seated in the case (lock already answered 404 to outsiders): say so plainly.
                raise Forbidden(N_("Only the parties and the mediators print the signature page."))
            if row.status != am.AgreementStatus.OUT_FOR_SIGNATURE.value:
                raise Conflict(N_("The agreement is not out for signature."))
            day = rows.agreement_day(row, unit.settings.tz)
            context = await agreement_context(unit.session, case, day)
        pdf = await asyncio.to_thread(
            functools.partial(render_signature_page, context, row.text, tz=self.units.settings.tz)
        )
        return f"signature-page-case-{row.case_id}.pdf", pdf

    async def _check_password(self, user: User, password: str, ip: str) -> None:
        now = utcnow()
        async with self.db.session() as s:
            wait = await throttle.retry_after(s, user.email, ip, now)
        if wait:
            raise TooMany(N_("Too many attempts. Please wait and try again."), retry_after=wait)
        if not await self.auth.check_password(user, password):
            async with self.db.session() as s:
                await throttle.record_failure(s, user.email, ip, now)
            raise Forbidden(
                N_("That password is not right."),
                code="wrong_password",
                fields={"password": N_("is not right")},
            )

    # -- reading -----------------------------------------------------------------------------

    async def view(
        self, user: User, *, agreement_id: int | None = None, case_id: int | None = None
    ) -> dict[str, Any]:
        """The agreement as this user may see it, with what they may do next."""
        async with self.units.begin() as unit:
            if case_id is not None:
                found = await rows.of_case(unit.session, case_id)
                if found is None or found.id is None:
                    raise NotFound(N_("Not found."))
                agreement_id = found.id
            assert agreement_id is not None
            case, row, actor = await rows.lock(unit, agreement_id, user)
            if actor.role is Role.ADMIN:
                await unit.audit(user.id, "agreement.viewed", case.id, {"agreement_id": row.id})
            today = local_date(utcnow(), unit.settings.tz)
            return await views.personal(unit.session, case, row, actor, today=today)

    async def pdf(self, user: User, agreement_id: int) -> tuple[str, bytes]:
        """The signed agreement as a PDF, for the case's participants only."""
        async with self.units.begin() as unit:
            case, row, actor = await rows.lock(unit, agreement_id, user)
            if actor.role is Role.ADMIN:
                raise NotFound(N_("Not found."))  # admins take the filing package instead
            state = await rows.state(unit.session, case, row)
            day = rows.agreement_day(row, unit.settings.tz)
            context = await agreement_context(unit.session, case, day)
            recorders = await rows.recorders(unit.session, state)
            terms = await rows.terms_of(unit.session, row)
        if state.status not in (am.AgreementStatus.SIGNED, am.AgreementStatus.FILED):
            raise Conflict(N_("The agreement is not signed by everyone yet."))
        tz = self.units.settings.tz
        # A reader of another language gets a courtesy translation after the signed text.
        courtesy = translations(
            [user.language], context, state.text, terms.items, state.signatures, tz=tz
        )
        pdf = await render_signed(state, context, tz, recorders, courtesy)
        return views.pdf_name(row), pdf


async def _signed(
    unit: Unit,
    case: Case,
    row: AgreementRow,
    new: am.Agreement,
    events: tuple[am.Event, ...],
    side: str | None,
) -> Signed | None:
    """Tell the room a side signed; the last side's signature settles the case and returns
    what the signed PDF is rendered from (after the commit)."""
    await views.announce(unit, case, row, "agreement.signed", side=side)
    if not any(isinstance(e, am.AgreementSigned) for e in events):
        return None
    await schedule(unit, row)
    await views.announce(unit, case, row, "agreement.final")
    await unit.settle(case, utcnow())
    day = rows.agreement_day(row, unit.settings.tz)
    context = await agreement_context(unit.session, case, day)
    return Signed(new, context, await rows.recorders(unit.session, new))
