"""Paying what was agreed, on real SQLite and PostgreSQL: the schedule written at signing, the
reminders held in the outbox, both sides marking each payment, "performed", and the worksheet
for a missed payment (read back with pypdf)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col, select, update

from odrchat.agreements.dates import local_date
from odrchat.agreements.paying import PaymentAction
from odrchat.agreements.tables import InstalmentRow
from odrchat.cases.kinds import CaseKind
from odrchat.errors import Conflict, Forbidden
from odrchat.reminders.instalments import InstalmentSource
from odrchat.settings import Settings
from odrchat.store.types import utcnow
from tests.agreements.checklist import check_pdf, read
from tests.agreements.test_service import pdf_text, sign
from tests.offers.test_service import Stack, build_stack, day

LA = ZoneInfo("America/Los_Angeles")
PAID, MISSED = PaymentAction.REPORT_PAID, PaymentAction.REPORT_MISSED
CONFIRM, DISPUTE = PaymentAction.CONFIRM_PAID, PaymentAction.DISPUTE


@pytest.fixture
async def stack(db_url: str, make_settings: Callable[..., Settings]) -> AsyncIterator[Stack]:
    built, broker = await build_stack(db_url, make_settings(db_url))
    try:
        yield built
    finally:
        await broker.disconnect()
        await built.db.dispose()


def plan(*parts: tuple[int, int]) -> dict[str, Any]:
    """Dana pays Paul in instalments of (cents, days from today)."""
    return {
        "kind": "payment",
        "payer": "defendant",
        "payee": "plaintiff",
        "amount_cents": sum(c for c, _ in parts),
        "schedule": {
            "kind": "installments",
            "installments": [{"amount_cents": c, "due": day(n)} for c, n in parts],
        },
    }


async def signed(stack: Stack, *parts: tuple[int, int]) -> dict[str, Any]:
    """Paul offers a plan, dana accepts, the mediator sends, both sign: the signed agreement."""
    offer = await stack.offers.make(stack["paul"], stack.case_id, [plan(*parts)])
    await stack.offers.accept(stack["dana"], offer["id"])
    draft = await stack.agreements.view(stack["mia"], case_id=stack.case_id)
    doc = await stack.agreements.send_for_signature(stack["mia"], draft["id"])
    await sign(stack, "paul", doc)
    final: dict[str, Any] = await sign(stack, "dana", doc)
    assert final["status"] == "signed"
    return final


async def mark_payment(
    stack: Stack, who: str, doc: dict[str, Any], n: int, act: PaymentAction
) -> Any:
    return await stack.agreements.mark_payment(stack[who], doc["id"], n, act)


async def backdate(stack: Stack, number: int, days: int = 1) -> None:
    """Move an instalment's due date into the past (the terms refuse past dates)."""
    past = local_date(utcnow(), LA) - timedelta(days=days)
    async with stack.db.session() as s:
        await s.exec(
            update(InstalmentRow).where(col(InstalmentRow.number) == number).values(due=past)
        )


async def test_signing_writes_the_schedule_and_the_reminder_source_finds_it(
    stack: Stack,
) -> None:
    doc = await signed(stack, (40_000, 30), (20_000, 60))
    payments = doc["payments"]
    listed = [
        (i["number"], i["amount_cents"], i["due"], i["status"]) for i in payments["instalments"]
    ]
    assert listed == [(1, 40_000, day(30), "due"), (2, 20_000, day(60), "due")]
    assert (payments["paid_cents"], payments["unpaid_cents"], payments["performed_at"]) == (
        0,
        60_000,
        None,
    )
    # The reminder engine's source: 9:00 centre time three days before payment 1, to both
    # parties, without an amount; nothing the day before that mark.
    source = InstalmentSource(LA)
    due = date.fromisoformat(day(30))
    mark = datetime.combine(due - timedelta(days=3), time(9), tzinfo=LA)
    async with stack.db.session() as s:
        rows = await source.load(s, mark)
    assert [(r.number, r.count, r.due) for r in rows] == [(1, 2, due)]
    assert source.due(rows, mark - timedelta(minutes=1)) == []
    (reminder,) = source.due(rows, mark)
    assert reminder.key.startswith("instalment.due:") and reminder.key.endswith("-3d")
    assert {letter.to.user_id for letter in reminder.letters} == {
        stack["paul"].id,
        stack["dana"].id,
    }
    words = reminder.letters[0].write()
    assert "payment 1 of 2" in words.paragraphs[0] and "$" not in " ".join(words.paragraphs)
    # Once reported paid, the source no longer loads it.
    await mark_payment(stack, "paul", doc, 1, PAID)
    async with stack.db.session() as s:
        assert await source.load(s, mark) == []


async def test_the_receiving_side_reports_and_the_paying_side_confirms(stack: Stack) -> None:
    doc = await signed(stack, (40_000, 30), (20_000, 60))
    for who, act in (("dana", PAID), ("mia", PAID), ("otto", PAID), ("paul", CONFIRM)):
        with pytest.raises((Forbidden, Conflict)):
            await mark_payment(stack, who, doc, 1, act)
    with pytest.raises(Forbidden):
        await mark_payment(stack, "mia", doc, 1, PAID)
    seen = await stack.agreements.view(stack["paul"], case_id=stack.case_id)
    assert seen["my"]["payment_actions"] == {"1": ["report_paid"], "2": ["report_paid"]}

    reported = await mark_payment(stack, "paul", doc, 1, PAID)
    assert reported["payments"]["instalments"][0]["status"] == "reported_paid"
    asks = [m for m in await stack.mails() if m.subject == "Please confirm a payment"]
    assert {m.recipient for m in asks} == {"dana@example.org"}
    seen = await stack.agreements.view(stack["dana"], case_id=stack.case_id)
    assert seen["my"]["payment_actions"]["1"] == ["confirm_paid", "dispute"]
    disputed = await mark_payment(stack, "dana", doc, 1, DISPUTE)
    assert disputed["payments"]["instalments"][0]["status"] == "due"
    await mark_payment(stack, "paul", doc, 1, PAID)
    confirmed = await mark_payment(stack, "dana", doc, 1, CONFIRM)
    step = confirmed["payments"]["instalments"][0]
    assert step["status"] == "paid"
    assert [h["status"] for h in step["history"]] == [
        "reported_paid",
        "due",
        "reported_paid",
        "paid",
    ]
    assert step["history"][-1]["by_user_id"] == stack["dana"].id
    assert confirmed["payments"]["paid_cents"] == 40_000
    with pytest.raises(Conflict):  # paid is final
        await mark_payment(stack, "paul", doc, 1, PAID)
    assert (await stack.case()).performed_at is None  # one payment is still open
    audited = await _actions(stack)
    assert audited.count("agreement.payment_marked") == 4


async def test_the_last_confirmed_payment_performs_the_agreement(stack: Stack) -> None:
    doc = await signed(stack, (60_000, 30))
    await mark_payment(stack, "paul", doc, 1, PAID)
    done = await mark_payment(stack, "dana", doc, 1, CONFIRM)
    assert done["payments"]["performed_at"] is not None
    case = await stack.case()
    assert case.performed_at is not None and case.outcome == "settled"
    told = [m for m in await stack.mails() if m.subject.startswith("Every payment under")]
    assert {"paul@example.org", "dana@example.org"} <= {m.recipient for m in told}
    assert (await stack.types("agreement."))[-2:] == ["agreement.payment", "agreement.performed"]
    assert "case.performed" in await _actions(stack)
    detail = await stack.cases.detail(stack["paul"], stack.case_id)
    assert detail["performed_at"] is not None


async def test_a_missed_payment_and_the_worksheet_for_the_court(stack: Stack) -> None:
    doc = await signed(stack, (40_000, 30), (20_000, 60))
    with pytest.raises(Conflict) as early:
        await mark_payment(stack, "paul", doc, 1, MISSED)
    assert early.value.detail_code == "not_yet_due"
    with pytest.raises(Conflict) as nothing:
        await stack.agreements.enforcement_worksheet(stack["paul"], doc["id"])
    assert nothing.value.detail_code == "nothing_missed"
    await backdate(stack, 1)
    seen = await stack.agreements.view(stack["paul"], case_id=stack.case_id)
    assert seen["my"]["payment_actions"]["1"] == ["report_paid", "report_missed"]
    missed = await mark_payment(stack, "paul", doc, 1, MISSED)
    assert missed["payments"]["instalments"][0]["status"] == "missed"
    told = [m for m in await stack.mails() if m.subject == "A payment was reported as missed"]
    assert {"paul@example.org", "dana@example.org"} <= {m.recipient for m in told}
    with pytest.raises(Forbidden):  # observers do not print court papers
        await stack.agreements.enforcement_worksheet(stack["otto"], doc["id"])
    name, pdf = await stack.agreements.enforcement_worksheet(stack["paul"], doc["id"])
    assert name == f"enforcement-worksheet-case-{stack.case_id}.pdf"
    problems = check_pdf(
        pdf,
        CaseKind.SMALL_CLAIMS,
        case_number="SC-2026-0042",
        parties=("Paul", "Dana"),
        whole_agreement=False,
        must_have=(
            "Code of Civil Procedure section 664.6",
            "The court's own forms and local rules govern",
            "Payment 1: Dana pays Paul $400.00",
            "MISSED",
            "Not confirmed paid: $600.00",
            "not legal advice",
        ),
        must_not_have=("PRIVATE-ROOM-SECRET",),
    )
    assert problems == []
    assert read(pdf).title and "Enforce" in (read(pdf).title or "")
    # A late payment still counts: reported from missed, then confirmed.
    await mark_payment(stack, "paul", doc, 1, PAID)
    back = await mark_payment(stack, "dana", doc, 1, DISPUTE)
    assert back["payments"]["instalments"][0]["status"] == "missed"
    assert "agreement.worksheet_downloaded" in await _actions(stack)
    assert "Paul" in pdf_text(pdf)


async def _actions(stack: Stack) -> list[str]:
    from odrchat import audit

    async with stack.db.session() as s:
        return [e.action for e in await audit.entries(s, case_id=stack.case_id)]


async def test_the_schedule_is_stored_as_json_history(stack: Stack) -> None:
    doc = await signed(stack, (60_000, 30))
    await mark_payment(stack, "paul", doc, 1, PAID)
    async with stack.db.session() as s:
        row = (await s.exec(select(InstalmentRow))).one()
    (step,) = json.loads(row.history)
    assert step["status"] == "reported_paid" and step["by_user_id"] == stack["paul"].id
