"""What participants see of an agreement, and the room events that carry it.

Every participant sees the same public agreement: text, hash, clarifications, who signed for
which side and when; never the IP addresses or user agents kept with the signatures.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from odrchat.agreements import machine as am
from odrchat.agreements import payments as pm
from odrchat.agreements import rows
from odrchat.agreements.tables import AgreementRow
from odrchat.cases.kinds import CaseKind, centre_reference, is_court_filed
from odrchat.cases.roles import Actor
from odrchat.cases.tables import Case
from odrchat.cases.unit import Unit

ESIGN_DISCLOSURE = (
    "You may sign this agreement electronically by re-entering your password, typing your full "
    "name and ticking the boxes below. An electronic signature binds you exactly like a "
    "signature in ink. You do not have to sign electronically: if you prefer to sign on paper, "
    "tell your mediator and they will arrange a paper copy for you to sign in ink instead; "
    "signing on paper has the same effect. You may change your mind at any time before you "
    "sign. Every party receives the signed agreement as a PDF by email and can download it here."
)


def centre_reference_of(case: Case) -> str | None:
    """A community case's reference at the centre (its record is kept under it); None for a
    court case, which goes by its court case number."""
    assert case.id is not None
    return None if is_court_filed(CaseKind(case.kind)) else centre_reference(case.id)


def pdf_name(row: AgreementRow) -> str:
    """The signed agreement's file name."""
    return f"settlement-agreement-case-{row.case_id}.pdf"


async def public(s: AsyncSession, case: Case, row: AgreementRow) -> dict[str, Any]:
    """The agreement as every participant may see it (no IP addresses or user agents)."""
    sigs, auths = await rows.signatures(s, row), await rows.authorisations(s, row)
    schedule = [rows.instalment(r) for r in await rows.instalments(s, row)]
    paid, unpaid = pm.totals(schedule)
    return {
        "id": row.id,
        "case_id": row.case_id,
        "offer_id": row.offer_id,
        "status": row.status,
        "court_filed": is_court_filed(CaseKind(case.kind)),
        "centre_reference": centre_reference_of(case),
        "text": row.text,
        "document_sha256": row.document_sha256,
        "clarifications": row.clarifications,
        "options": rows.options(row).to_json(),
        "signatures": [
            {
                "signer_user_id": g.signer_user_id,
                "for_side": g.for_side,
                "by_role": g.by_role,
                "typed_name": g.typed_name,
                "at": g.at.isoformat(),
                "document_sha256": g.document_sha256,
                "method": g.method,
                "scan_document_id": g.scan_document_id,
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
        else {"filed_on": row.filed_on.isoformat(), "court_reference": row.court_reference or None},
        "created_at": row.created_at.isoformat(),
        "updated_at": row.updated_at.isoformat(),
        "payments": {
            "instalments": [_instalment(i) for i in schedule],
            "paid_cents": paid,
            "unpaid_cents": unpaid,
            "performed_at": case.performed_at.isoformat() if case.performed_at else None,
        },
    }


def _instalment(i: pm.Instalment) -> dict[str, Any]:
    return {
        "number": i.number,
        "payer": i.payer.value,
        "payee": i.payee.value,
        "amount_cents": i.amount_cents,
        "due": i.due.isoformat(),
        "status": i.status.value,
        "history": [
            {"status": h.status.value, "by_user_id": h.by_user_id, "at": h.at.isoformat()}
            for h in i.history
        ],
    }


def payment_actions(
    schedule: list[pm.Instalment], actor: Actor, today: date | None
) -> dict[str, list[str]]:
    """Per instalment number, what this actor may do to it now (action names of the API).

    A payment is reported missed only after its due date (`today`: the centre's day)."""
    names = {
        pm.ReportPaid: "report_paid",
        pm.ConfirmPaid: "confirm_paid",
        pm.Dispute: "dispute",
        pm.ReportMissed: "report_missed",
    }
    out: dict[str, list[str]] = {}
    for i in schedule:
        allowed = [
            name
            for command, name in names.items()
            if pm.may(i, command, actor)
            and not (command is pm.ReportMissed and (today is None or today <= i.due))
        ]
        if allowed:
            out[str(i.number)] = allowed
    return out


async def personal(
    s: AsyncSession, case: Case, row: AgreementRow, actor: Actor, *, today: date | None = None
) -> dict[str, Any]:
    """The public agreement plus the disclosure and what this actor may do next."""
    state = await rows.state(s, case, row)
    mine = [g for g in state.signatures if g.signer_user_id == actor.user_id]
    return {
        **await public(s, case, row),
        "esign_disclosure": ESIGN_DISCLOSURE,
        "my": {
            "role": actor.role.value,
            "side": actor.side.value if actor.side else None,
            "signed": bool(mine),
            "may_sign": am.may_sign(state, actor),
            "payment_actions": payment_actions(
                [rows.instalment(r) for r in await rows.instalments(s, row)], actor, today
            ),
        },
    }


async def announce(
    unit: Unit, case: Case, row: AgreementRow, event_type: str, **extra: Any
) -> None:
    """Store one agreement event, with the public agreement, in the case's joint room."""
    assert case.id is not None
    body = {"case_id": case.id, "agreement": await public(unit.session, case, row), **extra}
    await unit.post(case.id, event_type, body)
