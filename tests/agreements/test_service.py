"""AgreementService on real SQLite and PostgreSQL: draft, clarify, sign, settle, file.

Every signing rule the machine states is shown to hold through the rows: edits void signatures
(and say so), nobody signs twice, attorneys sign only when authorised (never in harassment),
observers and mediators never sign, and nothing said in any room reaches the court.
"""

from __future__ import annotations

import base64
import io
import json
from collections.abc import AsyncIterator, Callable
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import pypdf
import pytest
from sqlmodel import col, select

from odrchat import audit
from odrchat.agreements.dates import in_words, local_date
from odrchat.agreements.tables import SignatureRow
from odrchat.cases.kinds import CaseKind
from odrchat.errors import Conflict, Forbidden, Invalid, NotFound
from odrchat.rooms.access import confidentiality
from odrchat.rooms.service import ref_of
from odrchat.rooms.tables import Room
from odrchat.settings import Settings
from odrchat.store.types import utcnow
from tests.agreements.checklist import check_pdf, check_record
from tests.offers.test_service import Stack, build_stack, day, payment
from tests.rooms.world import PASSWORD

SECRET_CHAT = "PRIVATE-ROOM-SECRET-7f3a9c the fence was never finished"


@pytest.fixture
async def stack(db_url: str, make_settings: Callable[..., Settings]) -> AsyncIterator[Stack]:
    built, broker = await build_stack(db_url, make_settings(db_url))
    try:
        yield built
    finally:
        await broker.disconnect()
        await built.db.dispose()


def pdf_text(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


async def agreed(stack: Stack, cents: int = 60_000) -> dict[str, Any]:
    """Paul offers, dana accepts: the draft's public view."""
    offer = await stack.offers.make(stack["paul"], stack.case_id, [payment(cents)])
    await stack.offers.accept(stack["dana"], offer["id"])
    return await stack.agreements.view(stack["mia"], case_id=stack.case_id)


async def sent(stack: Stack, clarifications: str = "") -> dict[str, Any]:
    draft = await agreed(stack)
    if clarifications:
        await stack.agreements.edit(stack["mia"], draft["id"], clarifications)
    return await stack.agreements.send_for_signature(stack["mia"], draft["id"])


async def sign(stack: Stack, who: str, agreement: dict[str, Any], **changes: Any) -> Any:
    user = stack[who]
    fields: dict[str, Any] = {
        "password": PASSWORD,
        "typed_name": user.display_name,
        "esign_consent": True,
        "agree_bound": True,
        "document_sha256": agreement["document_sha256"],
        "ip": "203.0.113.7",
        "user_agent": "pytest",
        **changes,
    }
    return await stack.agreements.sign(user, agreement["id"], **fields)


async def signature_rows(stack: Stack) -> list[SignatureRow]:
    async with stack.db.session() as s:
        return list((await s.exec(select(SignatureRow).order_by(col(SignatureRow.id)))).all())


async def actions(stack: Stack) -> list[str]:
    async with stack.db.session() as s:
        return [e.action for e in reversed(await audit.entries(s, case_id=stack.case_id))]


# -- drafting -------------------------------------------------------------------------------------


async def test_the_draft_names_the_case_the_parties_and_the_terms(stack: Stack) -> None:
    draft = await agreed(stack)
    text = draft["text"]
    for words in (
        "Settlement Agreement",
        "Court: Superior Court",
        "Case number: SC-2026-0042",
        "Plaintiff: Paul",
        "Defendant: Dana",
        "Mediator: Mia",
        f"Dana pays Paul $600.00 by {in_words(date.fromisoformat(day(30)))}.",
        "Code of Civil Procedure section 664.6",
        "Evidence Code section 1123",
        f"Date: {in_words(local_date(utcnow(), ZoneInfo('America/Los_Angeles')))}",
    ):
        assert words in text
    assert draft["status"] == "draft" and draft["signatures"] == []
    assert "paper" in draft["esign_disclosure"] and draft["my"]["may_sign"] is False


async def test_the_mediator_clarifies_and_parties_cannot(stack: Stack) -> None:
    draft = await agreed(stack)
    with pytest.raises(Forbidden):
        await stack.agreements.edit(stack["paul"], draft["id"], "I changed my mind.")
    edited = await stack.agreements.edit(stack["mia"], draft["id"], "Payment by cheque.")
    assert "Clarifications from the mediator\nPayment by cheque." in edited["text"]
    assert edited["document_sha256"] != draft["document_sha256"]
    assert edited["clarifications"] == "Payment by cheque." and edited["voided_notes"] == []
    with pytest.raises(Forbidden):  # only the lead mediator says "this text is final"
        await stack.agreements.send_for_signature(stack["paul"], draft["id"])


async def test_the_mediator_may_mark_agreement_reached_only_once(stack: Stack) -> None:
    draft = await agreed(stack)
    with pytest.raises(Conflict):
        await stack.agreements.create_from_offer(stack["mia"], stack.case_id, draft["offer_id"])
    with pytest.raises(Forbidden):
        await stack.agreements.create_from_offer(stack["paul"], stack.case_id, draft["offer_id"])


async def test_the_mediator_drafts_from_accepted_terms_only(stack: Stack) -> None:
    offer = await stack.offers.make(stack["paul"], stack.case_id, [payment(100)])
    with pytest.raises(Conflict):
        await stack.agreements.create_from_offer(stack["mia"], stack.case_id, offer["id"])
    with pytest.raises(NotFound):
        await stack.agreements.view(stack["paul"], case_id=stack.case_id)


# -- signing --------------------------------------------------------------------------------------


async def test_a_signature_records_who_when_where_and_which_bytes(stack: Stack) -> None:
    doc = await sent(stack)
    signed = await sign(stack, "paul", doc)
    assert signed["status"] == "out_for_signature"
    (row,) = await signature_rows(stack)
    assert (row.signer_user_id, row.for_side, row.by_role) == (
        stack["paul"].id,
        "plaintiff",
        "party",
    )
    assert (row.ip, row.user_agent, row.document_sha256) == (
        "203.0.113.7",
        "pytest",
        doc["document_sha256"],
    )
    assert row.esign_consent_at == row.at and row.voided_at is None
    assert "ip" not in signed["signatures"][0]  # the public view keeps addresses out
    assert (await stack.types("agreement."))[-1] == "agreement.signed"
    assert "agreement.signed" in await actions(stack)


@pytest.mark.parametrize(
    ("changes", "error", "code"),
    [
        ({"password": "not my password"}, Forbidden, "wrong_password"),
        ({"document_sha256": "0" * 64}, Conflict, "stale_document"),
        ({"typed_name": "Someone Else"}, Invalid, "name_mismatch"),
        ({"esign_consent": False}, Invalid, "consent_required"),
        ({"agree_bound": False}, Invalid, "consent_required"),
    ],
)
async def test_a_signature_needs_password_hash_name_and_both_consents(
    stack: Stack, changes: dict[str, Any], error: type[Exception], code: str
) -> None:
    doc = await sent(stack)
    with pytest.raises(error) as caught:
        await sign(stack, "paul", doc, **changes)
    assert getattr(caught.value, "detail_code", None) == code
    assert await signature_rows(stack) == []


async def test_nobody_signs_twice(stack: Stack) -> None:
    doc = await sent(stack)
    await sign(stack, "paul", doc)
    with pytest.raises(Conflict) as caught:
        await sign(stack, "paul", doc)
    assert caught.value.detail_code == "already_signed"
    assert len(await signature_rows(stack)) == 1


@pytest.mark.parametrize(
    ("who", "error"),
    [("otto", Forbidden), ("mia", Forbidden), ("admin", Forbidden), ("eve", NotFound)],
)
async def test_observers_mediators_admins_and_outsiders_never_sign(
    stack: Stack, who: str, error: type[Exception]
) -> None:
    doc = await sent(stack)
    with pytest.raises(error):
        await sign(stack, who, doc)
    assert await signature_rows(stack) == []


async def test_an_attorney_signs_only_with_the_partys_authorisation(stack: Stack) -> None:
    doc = await sent(stack)
    with pytest.raises(Forbidden) as caught:
        await sign(stack, "alex", doc)
    assert caught.value.detail_code == "attorney_not_authorised"
    dana = stack["dana"]
    assert stack["alex"].id is not None and dana.id is not None
    with pytest.raises(Invalid):  # dana cannot authorise paul's attorney
        await stack.agreements.authorise_attorney(dana, doc["id"], stack["alex"].id)
    with pytest.raises(Invalid):  # nor someone who is no attorney at all
        await stack.agreements.authorise_attorney(stack["paul"], doc["id"], dana.id)
    after = await stack.agreements.authorise_attorney(stack["paul"], doc["id"], stack["alex"].id)
    assert after["authorisations"][0]["attorney_user_id"] == stack["alex"].id
    mine = await stack.agreements.view(stack["alex"], agreement_id=doc["id"])
    assert mine["my"]["may_sign"] is True
    await sign(stack, "alex", doc)
    with pytest.raises(Conflict):  # the plaintiff side has signed through its attorney
        await sign(stack, "paul", doc)
    assert [r.by_role for r in await signature_rows(stack)] == ["attorney"]


async def test_attorneys_never_sign_in_civil_harassment(stack: Stack) -> None:
    await stack.set_case(kind="civil_harassment")
    offer = await stack.offers.make(
        stack["paul"],
        stack.case_id,
        [{"kind": "stay_away", "restrained": "defendant", "distance_feet": 100}],
    )
    await stack.offers.accept(stack["dana"], offer["id"])
    doc = await stack.agreements.view(stack["mia"], case_id=stack.case_id)
    doc = await stack.agreements.send_for_signature(stack["mia"], doc["id"])
    assert stack["alex"].id is not None
    with pytest.raises(Forbidden) as caught:
        await stack.agreements.authorise_attorney(stack["paul"], doc["id"], stack["alex"].id)
    assert caught.value.detail_code == "attorney_signing_barred"
    with pytest.raises(Forbidden):
        await sign(stack, "alex", doc)


async def test_an_edit_after_a_signature_voids_it_and_says_so(stack: Stack) -> None:
    doc = await sent(stack)
    await sign(stack, "paul", doc)
    edited = await stack.agreements.edit(stack["mia"], doc["id"], "Payment by cheque.")
    assert edited["status"] == "draft" and edited["signatures"] == []
    (note,) = edited["voided_notes"]
    assert note.startswith("Signatures voided because the document changed") and "Paul" in note
    (row,) = await signature_rows(stack)
    assert row.voided_at is not None  # kept for the record, no longer counted
    kind, body = (await stack.events())[-1]
    assert kind == "agreement.updated" and body["note"] == note
    assert any("signatures were voided" in m.subject for m in await stack.mails())
    with pytest.raises(Conflict):  # the old hash, and the agreement is not out for signature
        await sign(stack, "dana", doc)
    again = await stack.agreements.send_for_signature(stack["mia"], doc["id"])
    await sign(stack, "paul", again)
    final = await sign(stack, "dana", again)
    assert final["status"] == "signed"


async def test_the_last_signature_settles_the_case_and_mails_the_pdf(stack: Stack) -> None:
    doc = await sent(stack, "Payment by cheque.")
    await sign(stack, "paul", doc)
    final = await sign(stack, "dana", doc)
    assert final["status"] == "signed"
    case = await stack.case()
    assert (case.status, case.outcome) == ("settled", "settled")
    assert (await stack.types("agreement."))[-2:] == ["agreement.signed", "agreement.final"]
    pdf_mails = [m for m in await stack.mails() if m.subject == "Your signed settlement agreement"]
    assert {m.recipient for m in pdf_mails} == {
        f"{n}@example.org" for n in ("paul", "dana", "alex", "mia", "otto")
    }
    (attachment,) = json.loads(pdf_mails[0].attachments)
    assert attachment["content_type"] == "application/pdf"
    text = pdf_text(base64.b64decode(attachment["data"]))
    assert "$600.00" in text and "/s/ Paul" in text and "/s/ Dana" in text
    name, data = await stack.agreements.pdf(stack["dana"], doc["id"])
    assert name.endswith(".pdf") and pdf_text(data) == text
    with pytest.raises(Conflict):  # final and immutable
        await stack.agreements.edit(stack["mia"], doc["id"], "One more thing.")
    assert (await actions(stack)).count("agreement.signed") == 2


async def test_the_pdf_is_for_participants_once_signed(stack: Stack) -> None:
    doc = await sent(stack)
    with pytest.raises(Conflict):
        await stack.agreements.pdf(stack["paul"], doc["id"])
    await sign(stack, "paul", doc)
    await sign(stack, "dana", doc)
    for who in ("eve", "admin"):
        with pytest.raises(NotFound):
            await stack.agreements.pdf(stack[who], doc["id"])
    assert (await stack.agreements.pdf(stack["otto"], doc["id"]))[1].startswith(b"%PDF")


# -- filing ---------------------------------------------------------------------------------------


async def test_filing_queue_package_and_mark_filed(stack: Stack) -> None:
    doc = await sent(stack)
    assert await stack.agreements.filing_queue() == []
    await sign(stack, "paul", doc)
    await sign(stack, "dana", doc)
    (queued,) = await stack.agreements.filing_queue()
    assert queued["agreement_id"] == doc["id"] and queued["court_case_number"] == "SC-2026-0042"
    _, package = await stack.agreements.filing_package(stack["admin"], doc["id"])
    text = pdf_text(package)
    assert "Filing Cover Sheet" in text and "Case number: SC-2026-0042" in text
    problems = check_pdf(
        package,
        CaseKind.SMALL_CLAIMS,
        case_number="SC-2026-0042",
        parties=("Paul", "Dana"),
        must_have=("$600.00",),
    )
    assert problems == []
    with pytest.raises(NotFound):
        await stack.agreements.filing_package(stack["mia"], doc["id"])
    filed = await stack.agreements.mark_filed(stack["admin"], doc["id"], date(2027, 1, 5), "FR-77")
    assert filed["status"] == "filed"
    assert filed["filing"] == {"filed_on": "2027-01-05", "court_reference": "FR-77"}
    assert await stack.agreements.filing_queue() == []
    seen = await stack.agreements.view(stack["paul"], case_id=stack.case_id)
    assert seen["filing"]["court_reference"] == "FR-77"
    with pytest.raises(Conflict):
        await stack.agreements.mark_filed(stack["admin"], doc["id"], date(2027, 1, 6), "FR-78")
    done = await actions(stack)
    assert "agreement.filing_package_downloaded" in done and "agreement.filed" in done
    assert (await stack.types("agreement."))[-1] == "agreement.filed"


async def test_community_agreements_are_kept_on_file_by_the_centre(stack: Stack) -> None:
    await stack.set_case(kind="community", court_name=None, court_case_number=None)
    reference = f"CCR-{stack.case_id:06d}"
    doc = await sent(stack)
    assert doc["centre_reference"] == reference and doc["court_filed"] is False
    await sign(stack, "paul", doc)
    await sign(stack, "dana", doc)
    (queued,) = await stack.agreements.filing_queue()
    assert queued["centre_reference"] == reference and queued["court_case_number"] is None
    name, record = await stack.agreements.filing_package(stack["admin"], doc["id"])
    assert name.startswith("record-")
    assert check_record(record, reference=reference, parties=("Paul", "Dana")) == []
    with pytest.raises(Invalid) as info:  # there is no court reference to give
        await stack.agreements.mark_filed(stack["admin"], doc["id"], date(2027, 1, 5), "X")
    assert info.value.detail_code == "no_court_reference"
    kept = await stack.agreements.mark_filed(stack["admin"], doc["id"], date(2027, 1, 5), None)
    assert kept["status"] == "filed"
    assert kept["filing"] == {"filed_on": "2027-01-05", "court_reference": None}
    assert await stack.agreements.filing_queue() == []
    subjects = [m.subject for m in await stack.mails()]
    assert "Your agreement is kept on file by the mediation centre" in subjects
    assert "Your agreement was filed with the court" not in subjects
    _, record = await stack.agreements.filing_package(stack["admin"], doc["id"])
    must = ("Kept on file by CCR since: January 5, 2027",)
    assert check_record(record, reference=reference, parties=("Paul", "Dana"), must_have=must) == []
    async with stack.db.session() as s:
        (entry,) = [
            e
            for e in await audit.entries(s, case_id=stack.case_id)
            if e.action == "agreement.filed"
        ]
    assert json.loads(entry.detail)["centre_reference"] == reference


async def test_no_room_text_reaches_the_agreement_pdf_or_filing_package(stack: Stack) -> None:
    """What leaves for the court is the signed agreement and that one was reached: no chat."""
    async with stack.db.session() as s:
        rooms = (await s.exec(select(Room).where(col(Room.case_id) == stack.case_id))).all()
        for room in rooms:
            assert room.id is not None
            text = f"{SECRET_CHAT} ({confidentiality(ref_of(room))})"
            body = {"msg_id": f"m{room.id}", "text": text}
            await stack.rooms.append_event(s, room.id, "chat.message", body)
    doc = await sent(stack, "Payment by cheque.")
    await sign(stack, "paul", doc)
    final = await sign(stack, "dana", doc)
    _, pdf = await stack.agreements.pdf(stack["paul"], doc["id"])
    _, package = await stack.agreements.filing_package(stack["admin"], doc["id"])
    mailed = [
        m.body_text + pdf_text(base64.b64decode(a["data"]))
        for m in await stack.mails()
        for a in json.loads(m.attachments)
    ]
    assert len(mailed) == 5
    for leaving in (final["text"], pdf_text(pdf), pdf_text(package), *mailed):
        assert "PRIVATE-ROOM-SECRET" not in leaving and "fence was never" not in leaving
    # The secret is really in every room (the check above is not vacuous).
    for key in ("joint", "private:plaintiff", "private:defendant", "mediators"):
        assert any(SECRET_CHAT in str(body) for _, body in await stack.events(key))


async def test_admin_views_are_audited(stack: Stack) -> None:
    doc = await agreed(stack)
    viewed = await stack.agreements.view(stack["admin"], agreement_id=doc["id"])
    assert viewed["my"]["role"] == "admin"
    assert "agreement.viewed" in await actions(stack)


KIND_TERMS: dict[str, list[dict[str, Any]]] = {
    "small_claims": [payment(60_000, due_in=20)],
    "unlawful_detainer": [
        {"kind": "move_out", "by": day(25), "tenant": "defendant"},
        payment(90_000, due_in=15),
    ],
    "civil_harassment": [
        {"kind": "stay_away", "restrained": "defendant", "distance_feet": 50, "no_contact": True}
    ],
    "community": [{"kind": "free_text", "text": "Dana trims the hedge every spring."}],
}


@pytest.mark.parametrize("kind", list(KIND_TERMS))
async def test_each_kind_goes_from_terms_to_a_packet_that_passes_the_checklist(
    stack: Stack, kind: str
) -> None:
    """Intake facts, terms, options chosen by the mediator, both signatures, staff download:
    every PDF passes the checklist and carries nothing said in any room."""
    court = kind != "community"
    await stack.set_case(
        kind=kind,
        court_name="Superior Court of California, County of Los Angeles" if court else None,
        court_case_number="26STCV04321" if court else None,
        department="Dept. 12" if court else None,
        hearing_date=date.fromisoformat(day(10)) if court else None,
        premises_address="55 Hill St, Unit 2, Los Angeles, CA 90012"
        if kind == "unlawful_detainer"
        else None,
    )
    async with stack.db.session() as s:
        for room in (await s.exec(select(Room).where(col(Room.case_id) == stack.case_id))).all():
            assert room.id is not None
            body = {"msg_id": f"k{room.id}", "text": SECRET_CHAT}
            await stack.rooms.append_event(s, room.id, "chat.message", body)
    offer = await stack.offers.make(stack["paul"], stack.case_id, KIND_TERMS[kind])
    await stack.offers.accept(stack["dana"], offer["id"])
    draft = await stack.agreements.view(stack["mia"], case_id=stack.case_id)
    options = {"clauses": ["mutual_release"], "ud_route": "stipulated_judgment"}
    edited = await stack.agreements.edit(stack["mia"], draft["id"], "", options)
    assert edited["options"] == options
    assert "Mutual release:" in edited["text"]
    doc = await stack.agreements.send_for_signature(stack["mia"], draft["id"])
    await sign(stack, "paul", doc)
    await sign(stack, "dana", doc)
    case_kind = CaseKind(kind)
    number = "26STCV04321" if court else None
    _, pdf = await stack.agreements.pdf(stack["paul"], doc["id"])
    problems = check_pdf(
        pdf, case_kind, case_number=number, parties=("Paul", "Dana"), must_not_have=(SECRET_CHAT,)
    )
    assert problems == []
    if not court:  # the centre's closing record, not a court paper
        _, record = await stack.agreements.filing_package(stack["admin"], doc["id"])
        reference = f"CCR-{stack.case_id:06d}"
        must = ("Mutual release:",)
        problems = check_record(
            record, reference=reference, parties=("Paul", "Dana"), must_have=must
        )
        assert problems == [] and SECRET_CHAT not in pdf_text(record)
        return
    _, package = await stack.agreements.filing_package(stack["admin"], doc["id"])
    must = ["Filing Cover Sheet", "Department: Dept. 12", "Judicial Officer of the Superior Court"]
    if kind == "unlawful_detainer":
        must += ["55 Hill St, Unit 2", "How this case ends (stipulated judgment)", "$900.00"]
    else:
        must += ["Worksheet: Request for Dismissal", "[Proposed] Order"]
    problems = check_pdf(
        package,
        case_kind,
        case_number=number,
        parties=("Paul", "Dana"),
        court="Superior Court of California, County of Los Angeles",
        short_title="Paul v. Dana",
        must_have=tuple(must),
        must_not_have=(SECRET_CHAT,),
    )
    assert problems == []


async def test_options_are_checked_and_kept_when_not_sent(stack: Stack) -> None:
    draft = await agreed(stack)
    with pytest.raises(Invalid):
        await stack.agreements.edit(stack["mia"], draft["id"], "", {"clauses": ["waive_all"]})
    chosen = {"clauses": ["entire_agreement", "no_admission"], "ud_route": "conditional_dismissal"}
    await stack.agreements.edit(stack["mia"], draft["id"], "", chosen)
    kept = await stack.agreements.edit(stack["mia"], draft["id"], "Payment by cheque.")
    assert kept["options"] == chosen
    assert "Entire agreement:" in kept["text"] and "No admission:" in kept["text"]


# -- paper signatures -----------------------------------------------------------------------------


async def test_a_party_prints_a_signature_page_for_the_exact_text(stack: Stack) -> None:
    draft = await agreed(stack)
    with pytest.raises(Conflict):  # nothing to sign until the text is sent
        await stack.agreements.signature_page(stack["dana"], draft["id"])
    doc = await stack.agreements.send_for_signature(stack["mia"], draft["id"])
    _, page = await stack.agreements.signature_page(stack["dana"], doc["id"])
    text = pdf_text(page)
    assert "Signature Page" in text and f"Document SHA-256: {doc['document_sha256']}" in text
    assert "Plaintiff: Paul" in text and "Defendant: Dana" in text and "Signature: ____" in text
    assert "Dana pays Paul $600.00" in text  # the whole text comes with the page
    with pytest.raises(NotFound):  # an outsider learns nothing, not even that it exists
        await stack.agreements.signature_page(stack["eve"], doc["id"])
    with pytest.raises(Forbidden):  # an observer sits in the case but signs nothing
        await stack.agreements.signature_page(stack["otto"], doc["id"])


async def test_staff_record_a_wet_ink_signature_and_the_case_goes_on_to_filing(
    stack: Stack,
) -> None:
    doc = await sent(stack)
    await sign(stack, "paul", doc)
    record = stack.agreements.record_paper_signature
    ink = {"signer_user_id": stack["dana"].id, "signed_at": utcnow()}
    with pytest.raises(Forbidden):  # a party cannot record for the other side
        await record(stack["paul"], doc["id"], document_sha256=doc["document_sha256"], **ink)
    with pytest.raises(Conflict):  # a page of another text does not count
        await record(stack["mia"], doc["id"], document_sha256="0" * 64, **ink)
    with pytest.raises(Invalid):  # only a party of the case signs
        await record(
            stack["mia"],
            doc["id"],
            signer_user_id=stack["otto"].id,
            signed_at=utcnow(),
            document_sha256=doc["document_sha256"],
        )
    done = await record(stack["mia"], doc["id"], document_sha256=doc["document_sha256"], **ink)
    assert done["status"] == "signed"
    assert [g["method"] for g in done["signatures"]] == ["electronic", "paper"]
    assert (await stack.case()).status == "settled"
    assert "agreement.paper_signature_recorded" in await actions(stack)
    _, pdf = await stack.agreements.pdf(stack["paul"], doc["id"])
    text = pdf_text(pdf)
    assert "(signed in ink) Dana Signed in ink on paper for the defendant, personally" in text
    assert "Paper signature recorded by Mia on" in text
    assert "Method: electronic signature and signature in ink on paper." in text
    _, package = await stack.agreements.filing_package(stack["admin"], doc["id"])
    problems = check_pdf(
        package, CaseKind.SMALL_CLAIMS, case_number="SC-2026-0042", parties=("Paul", "Dana")
    )
    assert problems == []
    filed = await stack.agreements.mark_filed(stack["admin"], doc["id"], date(2027, 1, 5), "P-1")
    assert filed["status"] == "filed"
