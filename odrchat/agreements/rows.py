"""An agreement's rows and the pure `Agreement`: locking, rebuilding, and writing what events say.

Lock order (as for every case change): the case row first, then the agreement row.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from odrchat.agreements import machine as am
from odrchat.agreements import payments as pm
from odrchat.agreements.tables import (
    AgreementRow,
    AuthorisationRow,
    InstalmentRow,
    SignatureRow,
)
from odrchat.agreements.templates import AgreementOptions, TemplateError
from odrchat.auth.tables import User
from odrchat.cases.kinds import CaseKind
from odrchat.cases.roles import Actor, Role, Side
from odrchat.cases.tables import Case
from odrchat.cases.unit import Unit
from odrchat.documents.tables import Document
from odrchat.errors import Invalid, NotFound, from_domain
from odrchat.i18n import N_
from odrchat.offers.tables import OfferRow, stored_terms
from odrchat.offers.terms import Terms
from odrchat.store.types import utcnow


async def of_case(s: AsyncSession, case_id: int) -> AgreementRow | None:
    """The case's agreement row, if one was drafted."""
    stmt = select(AgreementRow).where(col(AgreementRow.case_id) == case_id)
    return (await s.exec(stmt)).first()


async def lock(unit: Unit, agreement_id: int, user: User) -> tuple[Case, AgreementRow, Actor]:
    """Lock the case, then the agreement; outsiders (and unapproved observers) get 404."""
    found = await unit.session.get(AgreementRow, agreement_id)
    if found is None:
        raise NotFound(N_("Not found."))
    case, actor = await unit.lock(found.case_id, user, approved=True)
    stmt = select(AgreementRow).where(col(AgreementRow.id) == agreement_id).with_for_update()
    row = (await unit.session.exec(stmt.execution_options(populate_existing=True))).one()
    return case, row, actor


async def signatures(s: AsyncSession, row: AgreementRow) -> list[SignatureRow]:
    """The live (not voided) signature rows, oldest first."""
    stmt = (
        select(SignatureRow)
        .where(col(SignatureRow.agreement_id) == row.id, col(SignatureRow.voided_at).is_(None))
        .order_by(col(SignatureRow.id))
    )
    return list((await s.exec(stmt)).all())


async def authorisations(s: AsyncSession, row: AgreementRow) -> list[AuthorisationRow]:
    stmt = (
        select(AuthorisationRow)
        .where(col(AuthorisationRow.agreement_id) == row.id)
        .order_by(col(AuthorisationRow.id))
    )
    return list((await s.exec(stmt)).all())


async def state(s: AsyncSession, case: Case, row: AgreementRow) -> am.Agreement:
    """Rebuild the pure agreement from its rows (live signatures only)."""
    sigs, auths = await signatures(s, row), await authorisations(s, row)
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
            am.Authorisation(a.attorney_user_id, Side(a.side), a.by_user_id, a.at) for a in auths
        ),
        filing=filing,
    )


async def change(
    unit: Unit, case: Case, row: AgreementRow, command: am.Command, actor: Actor
) -> tuple[am.Agreement, tuple[am.Event, ...]]:
    """Decide with the machine, then write exactly what the events say."""
    s = unit.session
    now = utcnow()
    try:
        new, events = am.apply(await state(s, case, row), command, actor)
    except am.AgreementError as exc:
        raise ask(exc) from None
    row.status, row.text, row.document_sha256 = new.status.value, new.text, new.document_sha256
    row.voided_notes = json.dumps(list(new.voided_notes), ensure_ascii=False)
    row.updated_at = now
    if isinstance(command, am.SendForSignature):
        row.sent_at = now  # the signature reminders count from here (reminders.sources)
    assert row.id is not None
    for event in events:
        if isinstance(event, am.SignaturesVoided):
            for sig in await signatures(s, row):
                sig.voided_at = now
                s.add(sig)
        elif isinstance(event, am.SignatureRecorded):
            s.add(_signature_row(row, event.signature))
        elif isinstance(event, am.AttorneyAuthorised):
            a = event.authorisation
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


def ask(exc: am.AgreementError | TemplateError) -> Exception:
    """A pure-core refusal as a client error."""
    if isinstance(exc, TemplateError):
        return Invalid(str(exc), code=exc.code, fields={"terms": str(exc)})
    return from_domain(exc.code, exc.message)


def agreement_day(row: AgreementRow, tz: ZoneInfo) -> date:
    """The day the agreement was reached, in the centre's time zone."""
    return row.created_at.astimezone(tz).date()


def options(row: AgreementRow) -> AgreementOptions:
    """The optional clauses chosen for this agreement."""
    return AgreementOptions.from_json(json.loads(row.options or "{}"))


async def recorders(s: AsyncSession, agreement: am.Agreement) -> dict[int, str]:
    """The names of the staff who recorded paper signatures, for the signature record."""
    names: dict[int, str] = {}
    for g in agreement.signatures:
        if g.recorded_by is not None and g.recorded_by not in names:
            staff = await s.get(User, g.recorded_by)
            names[g.recorded_by] = staff.display_name if staff else f"staff member {g.recorded_by}"
    return names


async def scans(s: AsyncSession, agreement: am.Agreement) -> dict[int, str]:
    """The file names of the scans attached to paper signatures, by document id."""
    names: dict[int, str] = {}
    for g in agreement.signatures:
        if g.scan_document_id is not None and g.scan_document_id not in names:
            doc = await s.get(Document, g.scan_document_id)
            names[g.scan_document_id] = doc.name if doc else "a scanned page"
    return names


async def terms_of(s: AsyncSession, row: AgreementRow) -> Terms:
    """The accepted terms the agreement was drafted from."""
    offer = await s.get(OfferRow, row.offer_id)
    assert offer is not None  # a foreign key
    return stored_terms(offer)


async def instalments(
    s: AsyncSession, row: AgreementRow, *, lock: bool = False
) -> list[InstalmentRow]:
    """The agreement's payment schedule, by number (empty before it is signed)."""
    stmt = (
        select(InstalmentRow)
        .where(col(InstalmentRow.agreement_id) == row.id)
        .order_by(col(InstalmentRow.number))
    )
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return list((await s.exec(stmt)).all())


def instalment(r: InstalmentRow) -> pm.Instalment:
    """The pure instalment a row stands for."""
    history = tuple(
        pm.Step(pm.InstalmentStatus(h["status"]), h["by_user_id"], datetime.fromisoformat(h["at"]))
        for h in json.loads(r.history)
    )
    return pm.Instalment(
        number=r.number,
        payer=Side(r.payer),
        payee=Side(r.payee),
        amount_cents=r.amount_cents,
        due=r.due,
        status=pm.InstalmentStatus(r.status),
        history=history,
    )


def write_instalment(r: InstalmentRow, i: pm.Instalment) -> None:
    """Copy what the machine decided onto the row."""
    r.status = i.status.value
    r.history = json.dumps(
        [
            {"status": h.status.value, "by_user_id": h.by_user_id, "at": h.at.isoformat()}
            for h in i.history
        ]
    )
    r.updated_at = utcnow()


def instalment_row(agreement_id: int, i: pm.Instalment) -> InstalmentRow:
    """A new row for a scheduled instalment."""
    return InstalmentRow(
        agreement_id=agreement_id,
        number=i.number,
        payer=i.payer.value,
        payee=i.payee.value,
        amount_cents=i.amount_cents,
        due=i.due,
        status=i.status.value,
        history="[]",
    )


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
        scan_document_id=r.scan_document_id,
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
        scan_document_id=g.scan_document_id,
    )
