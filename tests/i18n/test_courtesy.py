"""The agreement stays English; a party who reads Spanish gets a courtesy translation after it,
marked as such and naming the SHA-256 of the English text, in the filing packet and in their
own download. An all-English case gets none. Read back from the PDFs with pypdf."""

from __future__ import annotations

import hashlib
import io
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pypdf
import pytest

from odrchat.agreements.courtesy import courtesy_text, translations
from odrchat.agreements.dates import local_time
from odrchat.agreements.machine import Signature
from odrchat.agreements.templates import AgreementContext
from odrchat.cases.kinds import CaseKind
from odrchat.cases.roles import Role, Side
from odrchat.i18n import texts_for
from odrchat.offers.terms import Installment, InstallmentPlan, MoveOut, Payment
from odrchat.settings import Settings
from tests.agreements.test_service import sent, sign
from tests.i18n.people import speaks
from tests.offers.test_service import Stack, build_stack

MARK = "Traducción de cortesía: no es el acuerdo firmado"


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


def test_the_courtesy_text_names_the_english_hash_and_writes_terms_in_spanish() -> None:
    case = AgreementContext(
        CaseKind.UNLAWFUL_DETAINER,
        "Stanley Mosk Courthouse",
        "26UD00042",
        "Paul Landlord",
        "Dana Tenant",
        "Mia Mediator",
        date(2027, 1, 10),
        premises_address="12 Elm St, Los Angeles",
    )
    plan = InstallmentPlan(
        (Installment(50_000, date(2027, 2, 1)), Installment(70_050, date(2027, 3, 1)))
    )
    terms = [
        Payment(Side.DEFENDANT, Side.PLAINTIFF, 120_050, plan, ""),
        MoveOut(date(2027, 3, 31), Side.DEFENDANT),
    ]
    english = "Stipulation\n\nThe English text.\n"
    text = courtesy_text(texts_for("es"), case, english, terms)
    assert text.startswith(MARK)
    assert f"SHA-256: {hashlib.sha256(english.encode()).hexdigest()}" in text
    assert "No es el acuerdo que se firmó" in text and "vale el texto en inglés" in text
    assert "Dana Tenant (demandado) paga a Paul Landlord (demandante) $1,200.50 en 2 pagos" in text
    assert "$500.00 a más tardar el 1 de febrero de 2027" in text
    assert "se muda de la vivienda o local a más tardar el 31 de marzo de 2027" in text
    assert translations(["en", "en"], case, english, terms) == []
    assert [title for title, _ in translations(["es", "en", "es"], case, english, terms)] == [MARK]


def test_signing_times_are_written_in_the_centres_zone_like_the_english_text() -> None:
    # 03:30 UTC on January 11 is the evening of January 10 in Los Angeles: the English signed
    # text says January 10, so the courtesy translation must too (not the UTC day).
    case = AgreementContext(
        CaseKind.SMALL_CLAIMS,
        "Stanley Mosk Courthouse",
        "26SC00042",
        "Paul Plaintiff",
        "Dana Defendant",
        "Mia Mediator",
        date(2027, 1, 10),
    )
    at = datetime(2027, 1, 11, 3, 30, tzinfo=UTC)
    signature = Signature(
        signer_user_id=1,
        for_side=Side.DEFENDANT,
        by_role=Role.PARTY,
        typed_name="Dana Defendant",
        at=at,
        ip="127.0.0.1",
        user_agent="test",
        document_sha256="0" * 64,
        esign_consent_at=at,
    )
    la = ZoneInfo("America/Los_Angeles")
    assert local_time(at, la).startswith("01/10/2027 at 7:30 PM")  # the English text's time
    english = "Settlement Agreement\n"
    [(_, text)] = translations(["es"], case, english, [], [signature], tz=la)
    assert "Dana Defendant, 10 ene 2027, 7:30 p.m. PST" in text
    assert "11 de enero" not in text and "11 ene" not in text
    # The centre's zone decides, whatever it is; with none given it is Los Angeles.
    [(_, east)] = translations(
        ["es"], case, english, [], [signature], tz=ZoneInfo("America/New_York")
    )
    assert "Dana Defendant, 10 ene 2027, 10:30 p.m. EST" in east
    assert courtesy_text(texts_for("es"), case, english, [], [signature]) == text


async def test_a_spanish_party_gets_the_translation_in_the_packet_and_download(
    stack: Stack,
) -> None:
    await speaks(stack.db, stack["dana"], "es")
    doc = await sent(stack)
    await sign(stack, "paul", doc)
    await sign(stack, "dana", doc)
    sha = doc["document_sha256"]
    _, package = await stack.agreements.filing_package(stack["admin"], doc["id"])
    text = pdf_text(package)
    assert "Filing Cover Sheet" in text and MARK in text
    assert text.index("Settlement Agreement") < text.index(MARK)  # after the signed text
    assert sha in text
    _, hers = await stack.agreements.pdf(stack["dana"], doc["id"])
    assert MARK in pdf_text(hers) and sha in pdf_text(hers)
    _, his = await stack.agreements.pdf(stack["paul"], doc["id"])
    assert MARK not in pdf_text(his)


async def test_an_all_english_case_has_no_courtesy_translation(stack: Stack) -> None:
    doc = await sent(stack)
    await sign(stack, "paul", doc)
    await sign(stack, "dana", doc)
    _, package = await stack.agreements.filing_package(stack["admin"], doc["id"])
    assert "cortesía" not in pdf_text(package)
    _, hers = await stack.agreements.pdf(stack["dana"], doc["id"])
    assert "cortesía" not in pdf_text(hers)
