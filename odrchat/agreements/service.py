"""The agreement coordinator: draft from accepted terms, clarify, sign electronically, file.

Every change follows one path: lock the case row, then the agreement row (the order every
offer and case change also takes, so they cannot deadlock), rebuild the pure `Agreement` from
rows, run `machine.apply`, write exactly what its events say, store each event in the case's
joint room and queue the emails, all in one transaction; the feed is flushed after the commit.

What leaves for the court is the rendered text (structured terms, case facts and the mediator's
clarifications only: the template never sees chat) with the signature record and a cover sheet.
Signing asks for the password again; wrong passwords count against the login throttle.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from odrchat import audit
from odrchat.agreements import machine as am
from odrchat.agreements.caption import caption_of
from odrchat.agreements.dates import in_words
from odrchat.agreements.packet import render_packet, render_signature_page
from odrchat.agreements.pdf import render_pdf
from odrchat.agreements.tables import AgreementRow, AuthorisationRow, SignatureRow
from odrchat.agreements.templates import (
    TITLES,
    AgreementContext,
    AgreementOptions,
    TemplateError,
    render_agreement,
    signer_role,
)
from odrchat.auth import throttle
from odrchat.auth.service import AuthService
from odrchat.auth.tables import User
from odrchat.cases import notices
from odrchat.cases.kinds import CaseKind, is_court_filed
from odrchat.cases.machine import CaseStatus
from odrchat.cases.queries import actor_for, case_members, load_case
from odrchat.cases.roles import Actor, Role, Side
from odrchat.cases.service import CaseService
from odrchat.cases.tables import Case
from odrchat.errors import Conflict, Forbidden, Invalid, NotFound, TooMany, from_domain
from odrchat.notify.email import Attachment, build_email
from odrchat.notify.outbox import enqueue
from odrchat.offers.tables import OfferRow, stored_terms
from odrchat.offers.terms import Terms
from odrchat.rooms.feed import RoomFeed
from odrchat.store.types import utcnow

ESIGN_DISCLOSURE = (
    "You may sign this agreement electronically by re-entering your password, typing your full "
    "name and ticking the boxes below. An electronic signature binds you exactly like a "
    "signature in ink. You do not have to sign electronically: if you prefer to sign on paper, "
    "tell your mediator and they will arrange a paper copy for you to sign in ink instead; "
    "signing on paper has the same effect. You may change your mind at any time before you "
    "sign. Every party receives the signed agreement as a PDF by email and can download it here."
)
_STAFF = (Role.MEDIATOR, Role.CO_MEDIATOR)


def ask(exc: am.AgreementError | TemplateError) -> Exception:
    """A pure-core refusal as a client error."""
    if isinstance(exc, TemplateError):
        return Invalid(str(exc), code=exc.code, fields={"terms": str(exc)})
    return from_domain(exc.code, exc.message)


async def agreement_context(s: AsyncSession, case: Case, on: date) -> AgreementContext:
    """The case facts an agreement names: kind, court, parties by side, mediator, date."""
    assert case.id is not None
    names = {Side.PLAINTIFF: "", Side.DEFENDANT: ""}
    for part, user in await case_members(s, case.id):
        if part.role == Role.PARTY and part.side:
            names[Side(part.side)] = user.display_name
    mediator = await s.get(User, case.mediator_id) if case.mediator_id else None
    try:
        return AgreementContext(
            kind=CaseKind(case.kind),
            court_name=case.court_name,
            court_case_number=case.court_case_number,
            plaintiff_name=names[Side.PLAINTIFF],
            defendant_name=names[Side.DEFENDANT],
            mediator_name=mediator.display_name if mediator else "",
            agreement_date=on,
            department=case.department,
            hearing_date=case.hearing_date,
            premises_address=case.premises_address,
        )
    except ValueError as exc:
        raise Conflict(f"An agreement cannot be written yet: {exc}.") from None


class AgreementService:
    """Drafts, clarifies, signs and files the settlement agreement of a case."""

    def __init__(
        self, cases: CaseService, auth: AuthService, *, feed: RoomFeed | None = None
    ) -> None:
        self.cases = cases
        self.db = cases.db
        self.auth = auth
        self.feed = feed

    # -- plumbing ----------------------------------------------------------------------------

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        async with self.db.session() as s:
            yield s
        await self.after_commit(s)

    async def after_commit(self, s: AsyncSession) -> None:
        """Wake the outbox and publish what this committed session recorded."""
        await self.cases.after_commit(s)
        if self.feed is not None:
            await self.feed.flush(s)

    async def locked(
        self, s: AsyncSession, agreement_id: int, user: User
    ) -> tuple[Case, AgreementRow, Actor]:
        """Lock the case, then the agreement; outsiders (and unapproved observers) get 404."""
        found = await s.get(AgreementRow, agreement_id)
        case = await load_case(s, found.case_id, lock=True) if found is not None else None
        actor = await actor_for(s, case.id, user) if case is not None and case.id else None
        if case is None or actor is None or not actor.approved:
            raise NotFound("Not found.")
        stmt = select(AgreementRow).where(col(AgreementRow.id) == agreement_id).with_for_update()
        row = (await s.exec(stmt.execution_options(populate_existing=True))).one()
        return case, row, actor

    async def state(self, s: AsyncSession, case: Case, row: AgreementRow) -> am.Agreement:
        """Rebuild the pure agreement from its rows (live signatures only)."""
        sigs, auths = await self._signatures(s, row), await self._authorisations(s, row)
        filing = None
        if row.filed_on is not None:
            filing = am.Filing(row.filed_on, row.court_reference or "", row.filed_by or 0)
        return am.Agreement(
            kind=CaseKind(case.kind),
            status=am.AgreementStatus(row.status),
            text=row.text,
            document_sha256=row.document_sha256,
            signatures=tuple(_signature(r) for r in sigs),
            voided_notes=tuple(json.loads(row.voided_notes)),
            authorisations=tuple(
                am.Authorisation(a.attorney_user_id, Side(a.side), a.by_user_id, a.at)
                for a in auths
            ),
            filing=filing,
        )

    async def _signatures(self, s: AsyncSession, row: AgreementRow) -> list[SignatureRow]:
        stmt = (
            select(SignatureRow)
            .where(col(SignatureRow.agreement_id) == row.id, col(SignatureRow.voided_at).is_(None))
            .order_by(col(SignatureRow.id))
        )
        return list((await s.exec(stmt)).all())

    async def _authorisations(self, s: AsyncSession, row: AgreementRow) -> list[AuthorisationRow]:
        stmt = (
            select(AuthorisationRow)
            .where(col(AuthorisationRow.agreement_id) == row.id)
            .order_by(col(AuthorisationRow.id))
        )
        return list((await s.exec(stmt)).all())

    async def change(
        self, s: AsyncSession, case: Case, row: AgreementRow, command: am.Command, actor: Actor
    ) -> tuple[am.Agreement, tuple[am.Event, ...]]:
        """Decide with the machine, then write exactly what the events say."""
        now = utcnow()
        try:
            new, events = am.apply(await self.state(s, case, row), command, actor)
        except am.AgreementError as exc:
            raise ask(exc) from None
        row.status, row.text, row.document_sha256 = new.status.value, new.text, new.document_sha256
        row.voided_notes = json.dumps(list(new.voided_notes), ensure_ascii=False)
        row.updated_at = now
        for event in events:
            if isinstance(event, am.SignaturesVoided):
                for sig in await self._signatures(s, row):
                    sig.voided_at = now
                    s.add(sig)
            elif isinstance(event, am.SignatureRecorded):
                s.add(_signature_row(row, event.signature))
            elif isinstance(event, am.AttorneyAuthorised):
                a = event.authorisation
                assert row.id is not None
                s.add(
                    AuthorisationRow(
                        agreement_id=row.id,
                        attorney_user_id=a.attorney_user_id,
                        side=a.side.value,
                        by_user_id=a.by_user_id,
                        at=a.at,
                    )
                )
            elif isinstance(event, am.AgreementFiled):
                filing = event.filing
                row.filed_on, row.court_reference = filing.filed_on, filing.court_reference
                row.filed_by = filing.by_user_id
        s.add(row)
        await s.flush()
        return new, events

    async def record(
        self, s: AsyncSession, case: Case, row: AgreementRow, event_type: str, **extra: Any
    ) -> None:
        """Store one agreement event in the case's joint room (inside the transaction)."""
        if self.feed is None:
            return
        assert case.id is not None
        room_id = await self.feed.rooms.joint_room_id(s, case.id)
        body = {"case_id": case.id, "agreement": await self.public(s, case, row), **extra}
        await self.feed.record_in_room(s, case.id, room_id, event_type, body)

    async def public(self, s: AsyncSession, case: Case, row: AgreementRow) -> dict[str, Any]:
        """The agreement as every participant may see it (no IP addresses or user agents)."""
        sigs, auths = await self._signatures(s, row), await self._authorisations(s, row)
        return {
            "id": row.id,
            "case_id": row.case_id,
            "offer_id": row.offer_id,
            "status": row.status,
            "court_filed": is_court_filed(CaseKind(case.kind)),
            "text": row.text,
            "document_sha256": row.document_sha256,
            "clarifications": row.clarifications,
            "options": _options(row).to_json(),
            "signatures": [
                {
                    "signer_user_id": g.signer_user_id,
                    "for_side": g.for_side,
                    "by_role": g.by_role,
                    "typed_name": g.typed_name,
                    "at": g.at.isoformat(),
                    "document_sha256": g.document_sha256,
                    "method": g.method,
                }
                for g in sigs
            ],
            "authorisations": [
                {"attorney_user_id": a.attorney_user_id, "side": a.side, "at": a.at.isoformat()}
                for a in auths
            ],
            "voided_notes": json.loads(row.voided_notes),
            "filing": None
            if row.filed_on is None
            else {"filed_on": row.filed_on.isoformat(), "court_reference": row.court_reference},
            "created_at": row.created_at.isoformat(),
            "updated_at": row.updated_at.isoformat(),
        }

    # -- drafting ----------------------------------------------------------------------------

    async def draft(
        self, s: AsyncSession, case: Case, offer_id: int, terms: Terms, now: datetime
    ) -> AgreementRow:
        """Write the draft for accepted terms, inside the caller's transaction (case locked)."""
        assert case.id is not None
        if await self.of_case(s, case.id) is not None:
            raise Conflict("An agreement has already been reached in this case.")
        context = await agreement_context(s, case, now.astimezone(self.cases.settings.tz).date())
        try:
            draft = am.new_agreement(CaseKind(case.kind), render_agreement(context, terms))
        except (am.AgreementError, TemplateError) as exc:
            raise ask(exc) from None
        row = AgreementRow(
            case_id=case.id,
            offer_id=offer_id,
            status=draft.status.value,
            text=draft.text,
            document_sha256=draft.document_sha256,
            created_at=now,
            updated_at=now,
        )
        s.add(row)
        await s.flush()
        await self.record(s, case, row, "agreement.drafted")
        await self.cases.notify_participants(
            s,
            case.id,
            "Agreement reached: your mediator is preparing the text",
            [
                "Both sides accepted the same terms. Your mediator will now prepare the written "
                "agreement and send it to you to read and sign."
            ],
            optional=False,
        )
        return row

    async def of_case(self, s: AsyncSession, case_id: int) -> AgreementRow | None:
        stmt = select(AgreementRow).where(col(AgreementRow.case_id) == case_id)
        return (await s.exec(stmt)).first()

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
            raise Invalid(
                "Some fields need attention.", fields={"options": str(exc)}
            ) from None
        async with self.transaction() as s:
            case, row, actor = await self.locked(s, agreement_id, user)
            _require_open(case)
            context = await agreement_context(s, case, self._agreement_day(row))
            terms = await _terms_of(s, row)
            chosen = chosen or _options(row)
            try:
                text = render_agreement(context, terms, clarifications, chosen)
            except TemplateError as exc:
                raise ask(exc) from None
            _, events = await self.change(s, case, row, am.Edit(text, utcnow()), actor)
            row.clarifications = clarifications.replace("\r\n", "\n").strip()
            row.options = json.dumps(chosen.to_json())
            s.add(row)
            voided = next((e for e in events if isinstance(e, am.SignaturesVoided)), None)
            note = voided.note if voided else None
            await self.record(s, case, row, "agreement.updated", change="edited", note=note)
            if voided is not None:
                await self.cases.notify_participants(
                    s,
                    row.case_id,
                    "The agreement changed: signatures were voided",
                    [note or "", "Please read the new text when your mediator sends it again."],
                    optional=False,
                )
            return await self.public(s, case, row)

    async def send_for_signature(self, user: User, agreement_id: int) -> dict[str, Any]:
        """The lead mediator declares the text final and asks the parties to sign."""
        async with self.transaction() as s:
            case, row, actor = await self.locked(s, agreement_id, user)
            _require_open(case)
            await self.change(s, case, row, am.SendForSignature(), actor)
            await self.record(s, case, row, "agreement.updated", change="sent_for_signature")
            await self.cases.notify_participants(
                s,
                row.case_id,
                "Please read and sign your settlement agreement",
                [
                    "Your mediator has sent the settlement agreement for signature. Open your "
                    "case to read it. You can sign electronically, or ask your mediator for a "
                    "paper copy."
                ],
                optional=False,
            )
            return await self.public(s, case, row)

    async def authorise_attorney(
        self, user: User, agreement_id: int, attorney_user_id: int
    ) -> dict[str, Any]:
        """A party expressly authorises their own attorney to sign for their side."""
        async with self.transaction() as s:
            case, row, actor = await self.locked(s, agreement_id, user)
            _require_open(case)
            assert case.id is not None
            attorneys = {
                p.user_id
                for p, _ in await case_members(s, case.id)
                if p.role == Role.ATTORNEY and actor.side and p.side == actor.side.value
            }
            if actor.role is Role.PARTY and attorney_user_id not in attorneys:
                raise Invalid(
                    "That person is not your attorney in this case.",
                    fields={"attorney_user_id": "not your attorney in this case"},
                )
            now = utcnow()
            await self.change(s, case, row, am.AuthoriseAttorney(attorney_user_id, now), actor)
            await audit.record(
                s,
                user.id,
                "agreement.attorney_authorised",
                case.id,
                {"agreement_id": row.id, "attorney_user_id": attorney_user_id},
                now=now,
            )
            await self.record(s, case, row, "agreement.updated", change="attorney_authorised")
            return await self.public(s, case, row)

    async def create_from_offer(self, user: User, case_id: int, offer_id: int) -> dict[str, Any]:
        """The mediator marks agreement reached from an accepted offer's terms."""
        async with self.transaction() as s:
            case = await load_case(s, case_id, lock=True)
            actor = await actor_for(s, case_id, user) if case is not None else None
            if case is None or actor is None or not actor.approved:
                raise NotFound("Not found.")
            if actor.role not in _STAFF:
                raise Forbidden("Only the mediator marks an agreement reached.")
            _require_open(case)
            offer = await s.get(OfferRow, offer_id)
            if offer is None or offer.case_id != case_id:
                raise NotFound("Not found.")
            if offer.status != "accepted":
                raise Conflict("Only an accepted offer's terms become an agreement.")
            row = await self.draft(s, case, offer_id, stored_terms(offer), utcnow())
            return await self.public(s, case, row)

    # -- signing and filing -------------------------------------------------------------------

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
        async with self.db.session() as s:
            await self.locked(s, agreement_id, user)  # outsiders learn nothing, cheaply
        await self._check_password(user, password, ip)
        async with self.transaction() as s:
            case, row, actor = await self.locked(s, agreement_id, user)
            _require_open(case)
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
            new, events = await self.change(s, case, row, command, actor)
            assert case.id is not None
            await audit.record(
                s,
                user.id,
                "agreement.signed",
                case.id,
                {
                    "agreement_id": row.id,
                    "side": actor.side,
                    "role": actor.role.value,
                    "document_sha256": row.document_sha256,
                    "ip": ip[:64],
                },
                now=now,
            )
            side = actor.side.value if actor.side else None
            await self._signed(s, case, row, new, events, side)
            return await self.public(s, case, row)

    async def _signed(
        self,
        s: AsyncSession,
        case: Case,
        row: AgreementRow,
        new: am.Agreement,
        events: tuple[am.Event, ...],
        side: str | None,
    ) -> None:
        """Tell the room a side signed; the last side's signature settles the case."""
        assert case.id is not None
        await self.record(s, case, row, "agreement.signed", side=side)
        if any(isinstance(e, am.AgreementSigned) for e in events):
            await self.record(s, case, row, "agreement.final")
            await self.cases.record_settlement(case.id, session=s)
            await self._send_signed_pdf(s, case, row, new)

    async def record_paper_signature(
        self,
        staff: User,
        agreement_id: int,
        *,
        signer_user_id: int,
        signed_at: datetime,
        document_sha256: str,
    ) -> dict[str, Any]:
        """Staff record a party's wet-ink signature of the printed text with that hash."""
        async with self.transaction() as s:
            case, row, actor = await self.locked(s, agreement_id, staff)
            _require_open(case)
            assert case.id is not None
            party = next(
                (
                    (p, u)
                    for p, u in await case_members(s, case.id)
                    if p.user_id == signer_user_id and p.role == Role.PARTY and p.side
                ),
                None,
            )
            if party is None:
                raise Invalid(
                    "That person is not a party in this case.",
                    fields={"signer_user_id": "not a party in this case"},
                )
            part, signer = party
            assert part.side is not None  # the query above keeps parties with a side
            now = utcnow()
            command = am.RecordPaperSignature(
                signer_user_id=signer_user_id,
                for_side=Side(part.side),
                printed_name=signer.display_name,
                signed_at=signed_at,
                document_sha256=document_sha256,
                at=now,
            )
            new, events = await self.change(s, case, row, command, actor)
            await audit.record(
                s,
                staff.id,
                "agreement.paper_signature_recorded",
                case.id,
                {
                    "agreement_id": row.id,
                    "signer_user_id": signer_user_id,
                    "side": part.side,
                    "signed_at": signed_at.isoformat(),
                    "document_sha256": row.document_sha256,
                },
                now=now,
            )
            await self._signed(s, case, row, new, events, part.side)
            return await self.public(s, case, row)

    async def signature_page(self, user: User, agreement_id: int) -> tuple[str, bytes]:
        """The text out for signature with a page to sign in ink, for the parties and staff."""
        async with self.db.session() as s:
            case, row, actor = await self.locked(s, agreement_id, user)
            if actor.role not in (Role.PARTY, *_STAFF, Role.ADMIN):
                raise NotFound("Not found.")
            if row.status != am.AgreementStatus.OUT_FOR_SIGNATURE.value:
                raise Conflict("The agreement is not out for signature.")
            context = await agreement_context(s, case, self._agreement_day(row))
        pdf = await asyncio.to_thread(
            render_signature_page, context, row.text, tz=self.cases.settings.tz
        )
        return f"signature-page-case-{row.case_id}.pdf", pdf

    async def _check_password(self, user: User, password: str, ip: str) -> None:
        now = utcnow()
        async with self.db.session() as s:
            wait = await throttle.retry_after(s, user.email, ip, now)
        if wait:
            raise TooMany("Too many attempts. Please wait and try again.", retry_after=wait)
        if not await self.auth.check_password(user, password):
            async with self.db.session() as s:
                await throttle.record_failure(s, user.email, ip, now)
            raise Forbidden(
                "That password is not right.",
                code="wrong_password",
                fields={"password": "is not right"},
            )

    async def _send_signed_pdf(
        self, s: AsyncSession, case: Case, row: AgreementRow, agreement: am.Agreement
    ) -> None:
        assert case.id is not None
        context = await agreement_context(s, case, self._agreement_day(row))
        recorders = await _recorders(s, agreement)
        pdf = self._render_signed(context, row, agreement, recorders)
        link = notices.case_link(self.cases.settings.public_url, case.id)
        attachment = Attachment(_pdf_name(row), "application/pdf", pdf)
        for part, member in await case_members(s, case.id):
            if not part.approved:
                continue  # an observer the mediator has not let in yet
            await enqueue(
                s,
                build_email(
                    member.email,
                    "Your signed settlement agreement",
                    notices.paragraphs_with_greeting(
                        member.display_name,
                        [
                            "Every party has signed the settlement agreement. It is attached "
                            "as a PDF, and you can download it from your case at any time."
                        ],
                    ),
                    ("Open your case", link),
                    attachments=(attachment,),
                ),
            )

    async def mark_filed(
        self, admin: User, agreement_id: int, filed_on: date, court_reference: str
    ) -> dict[str, Any]:
        """An admin records that the signed agreement was filed with the court."""
        async with self.transaction() as s:
            case, row, actor = await self.locked(s, agreement_id, admin)
            command = am.MarkFiled(filed_on, court_reference)
            await self.change(s, case, row, command, actor)
            await audit.record(
                s,
                admin.id,
                "agreement.filed",
                case.id,
                {
                    "agreement_id": row.id,
                    "filed_on": filed_on.isoformat(),
                    "court_reference": row.court_reference,
                },
            )
            await self.record(s, case, row, "agreement.filed")
            assert case.id is not None
            await self.cases.notify_participants(
                s,
                case.id,
                "Your agreement was filed with the court",
                [f"CCR filed your signed agreement with the court on {in_words(filed_on)}."],
                optional=True,
            )
            return await self.public(s, case, row)

    # -- reading -----------------------------------------------------------------------------

    async def view(
        self, user: User, *, agreement_id: int | None = None, case_id: int | None = None
    ) -> dict[str, Any]:
        """The agreement as this user may see it, with what they may do next."""
        async with self.transaction() as s:
            if case_id is not None:
                found = await self.of_case(s, case_id)
                if found is None or found.id is None:
                    raise NotFound("Not found.")
                agreement_id = found.id
            assert agreement_id is not None
            case, row, actor = await self.locked(s, agreement_id, user)
            if actor.role is Role.ADMIN:
                detail = {"agreement_id": row.id}
                await audit.record(s, user.id, "agreement.viewed", case.id, detail)
            state = await self.state(s, case, row)
            mine = [g for g in state.signatures if g.signer_user_id == actor.user_id]
            return {
                **await self.public(s, case, row),
                "esign_disclosure": ESIGN_DISCLOSURE,
                "my": {
                    "role": actor.role.value,
                    "side": actor.side.value if actor.side else None,
                    "signed": bool(mine),
                    "may_sign": _may_sign(state, actor),
                },
            }

    async def pdf(self, user: User, agreement_id: int) -> tuple[str, bytes]:
        """The signed agreement as a PDF, for the case's participants only."""
        async with self.db.session() as s:
            case, row, actor = await self.locked(s, agreement_id, user)
            if actor.role is Role.ADMIN:
                raise NotFound("Not found.")  # admins take the filing package instead
            state = await self.state(s, case, row)
            context = await agreement_context(s, case, self._agreement_day(row))
            recorders = await _recorders(s, state)
        if state.status not in (am.AgreementStatus.SIGNED, am.AgreementStatus.FILED):
            raise Conflict("The agreement is not signed by everyone yet.")
        pdf = await asyncio.to_thread(self._render_signed, context, row, state, recorders)
        return _pdf_name(row), pdf

    def _agreement_day(self, row: AgreementRow) -> date:
        """The day the agreement was reached, in the centre's time zone."""
        return row.created_at.astimezone(self.cases.settings.tz).date()

    def _render_signed(
        self,
        context: AgreementContext,
        row: AgreementRow,
        state: am.Agreement,
        recorders: dict[int, str],
    ) -> bytes:
        """The signed agreement: caption, text and signature record, on US Letter."""
        labels = {g.signer_user_id: signer_role(state.kind, g) for g in state.signatures}
        return render_pdf(
            TITLES[state.kind],
            row.text,
            signatures=state.signatures,
            caption=caption_of(context),
            tz=self.cases.settings.tz,
            signer_labels=labels,
            recorders=recorders,
        )

    async def filing_queue(self) -> list[dict[str, Any]]:
        """Signed court-case agreements that wait to be filed, oldest first."""
        async with self.db.session() as s:
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
        async with self.db.session() as s:
            case, row, actor = await self.locked(s, agreement_id, admin)
            state = await self.state(s, case, row)
            if actor.role is not Role.ADMIN:
                raise NotFound("Not found.")
            if not is_court_filed(state.kind):
                raise Conflict("Community agreements are not filed with a court.")
            if state.status not in (am.AgreementStatus.SIGNED, am.AgreementStatus.FILED):
                raise Conflict("The agreement is not signed by everyone yet.")
            context = await agreement_context(s, case, self._agreement_day(row))
            terms = await _terms_of(s, row)
            recorders = await _recorders(s, state)
            await audit.record(
                s,
                admin.id,
                "agreement.filing_package_downloaded",
                case.id,
                {"agreement_id": row.id},
            )
        package = await asyncio.to_thread(
            render_packet,
            context,
            row.text,
            terms.items,
            state.signatures,
            _options(row),
            filing=state.filing,
            tz=self.cases.settings.tz,
            recorders=recorders,
        )
        return f"filing-{_pdf_name(row)}", package


def _require_open(case: Case) -> None:
    if case.status != CaseStatus.IN_MEDIATION:
        raise Conflict("This case is not in mediation.", code="wrong_state")


def _may_sign(state: am.Agreement, actor: Actor) -> bool:
    if state.status is not am.AgreementStatus.OUT_FOR_SIGNATURE or actor.side is None:
        return False
    if actor.side in state.signed_sides:
        return False
    if actor.role is Role.PARTY:
        return True
    return (
        actor.role is Role.ATTORNEY
        and state.kind is not CaseKind.CIVIL_HARASSMENT
        and am.is_authorised(state, actor.user_id, actor.side)
    )


async def _recorders(s: AsyncSession, agreement: am.Agreement) -> dict[int, str]:
    """The names of the staff who recorded paper signatures, for the signature record."""
    names: dict[int, str] = {}
    for g in agreement.signatures:
        if g.recorded_by is not None and g.recorded_by not in names:
            staff = await s.get(User, g.recorded_by)
            names[g.recorded_by] = staff.display_name if staff else f"staff member {g.recorded_by}"
    return names


def _options(row: AgreementRow) -> AgreementOptions:
    return AgreementOptions.from_json(json.loads(row.options or "{}"))


def _pdf_name(row: AgreementRow) -> str:
    return f"settlement-agreement-case-{row.case_id}.pdf"


async def _terms_of(s: AsyncSession, row: AgreementRow) -> Terms:
    offer = await s.get(OfferRow, row.offer_id)
    assert offer is not None  # a foreign key
    return stored_terms(offer)


def _signature(r: SignatureRow) -> am.Signature:
    return am.Signature(
        signer_user_id=r.signer_user_id,
        for_side=Side(r.for_side),
        by_role=Role(r.by_role),
        typed_name=r.typed_name,
        at=r.at,
        ip=r.ip,
        user_agent=r.user_agent,
        document_sha256=r.document_sha256,
        esign_consent_at=r.esign_consent_at,
        method=am.SigningMethod(r.method),
        recorded_by=r.recorded_by,
        recorded_at=r.recorded_at,
    )


def _signature_row(row: AgreementRow, g: am.Signature) -> SignatureRow:
    assert row.id is not None
    return SignatureRow(
        agreement_id=row.id,
        signer_user_id=g.signer_user_id,
        for_side=g.for_side.value,
        by_role=g.by_role.value,
        typed_name=g.typed_name,
        at=g.at,
        ip=g.ip,
        user_agent=g.user_agent,
        document_sha256=g.document_sha256,
        esign_consent_at=g.esign_consent_at,
        method=g.method.value,
        recorded_by=g.recorded_by,
        recorded_at=g.recorded_at,
    )
