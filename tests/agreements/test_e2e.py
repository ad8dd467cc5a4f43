"""A small claims case from the first offer to a filed agreement, over HTTP, with real SMTP.

Intake and staffing run through the case API (the case tests' helpers); then offer, counter,
accept, the drafted agreement, the mediator's clarification, both electronic signatures, the
signed PDF by email and download, and the admin's filing. The PDF is read back with pypdf.
"""

from __future__ import annotations

import io
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pypdf
from starlette.testclient import TestClient

from odrchat.agreements.dates import in_words, local_date
from odrchat.cases.kinds import CaseKind
from odrchat.settings import Settings
from odrchat.store.types import utcnow
from tests.agreements.checklist import check_pdf
from tests.cases.test_e2e import Mail, SmtpServer, intake, smtp, text_of, to_mediation
from tests.cases.world import PASSWORD
from tests.helpers import client_for, login, post

LA = ZoneInfo("America/Los_Angeles")


def spelled(iso: str) -> str:
    return in_words(date.fromisoformat(iso))


__all__ = ["smtp"]  # the fixture, used below by name

CLARIFICATION = "Payments go by bank transfer to the account Paul Plaintiff names in writing."


def pdf_text(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def attachment_of(message: Mail) -> bytes:
    (part,) = list(message.iter_attachments())
    assert part.get_content_type() == "application/pdf"
    data = part.get_content()
    assert isinstance(data, bytes)
    return data


def day(n: int) -> str:
    return (utcnow().date() + timedelta(days=n)).isoformat()


def sign(c: TestClient, who: str, name: str, doc: dict[str, object]) -> dict[str, object]:
    login(c, who)
    body = {
        "esign_consent": True,
        "password": PASSWORD,
        "typed_name": name,
        "agree_bound": True,
        "document_sha256": doc["document_sha256"],
    }
    r = post(c, f"/api/agreements/{doc['id']}/sign", body)
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_small_claims_from_first_offer_to_filed(
    settings: Settings, db_url: str, smtp: SmtpServer
) -> None:
    smtp.start()
    inbox = smtp.inbox
    with client_for(settings, mailer=smtp.mailer()) as c:
        case_id, token = intake(c, db_url, inbox)
        to_mediation(c, db_url, inbox, case_id, token)

        # Paul asks for $1,500 by a date; dana hears of it by email, without the terms.
        login(c, "paul@example.org")
        lump = {"kind": "lump_sum", "due": day(30)}
        first = {
            "kind": "payment",
            "payer": "defendant",
            "payee": "plaintiff",
            "amount_cents": 150_000,
            "schedule": lump,
        }
        r = post(
            c,
            f"/api/cases/{case_id}/offers",
            {"terms": [first], "explanation": "The fence cost $1,500 in materials."},
        )
        assert r.status_code == 201, r.text
        offer = r.json()
        note = text_of(inbox.wait_for("dana@example.org", "There is a new offer"))
        assert "1,500" not in note

        # Dana counters with $1,000 in two installments; paul accepts.
        login(c, "dana@example.org")
        plan = {
            "kind": "installments",
            "installments": [
                {"amount_cents": 50_000, "due": day(30)},
                {"amount_cents": 50_000, "due": day(60)},
            ],
        }
        counter = {
            "kind": "payment",
            "payer": "defendant",
            "payee": "plaintiff",
            "amount_cents": 100_000,
            "schedule": plan,
        }
        r = post(
            c, f"/api/offers/{offer['id']}/counter", {"terms": [counter, {"kind": "dismissal"}]}
        )
        assert r.status_code == 201, r.text
        countered = r.json()
        inbox.wait_for("paul@example.org", "There is a counter-offer")
        login(c, "paul@example.org")
        r = post(c, f"/api/offers/{countered['id']}/accept", None)
        assert r.status_code == 200 and r.json()["status"] == "accepted"
        thread = c.get(f"/api/cases/{case_id}/offers").json()
        assert [t["type"] for t in thread["timeline"]] == [
            "offer.made",
            "offer.countered",
            "offer.made",
            "offer.accepted",
        ]
        inbox.wait_for("dana@example.org", "Agreement reached")

        # The mediator reads the draft, adds a clarification and sends it for signature.
        login(c, "mia@example.org", PASSWORD)
        draft = c.get(f"/api/cases/{case_id}/agreement").json()
        assert draft["status"] == "draft" and draft["offer_id"] == countered["id"]
        r = post(c, f"/api/agreements/{draft['id']}/edit", {"clarifications": CLARIFICATION})
        assert r.status_code == 200 and CLARIFICATION in r.json()["text"]
        r = post(c, f"/api/agreements/{draft['id']}/send", None)
        assert r.status_code == 200, r.text
        doc = r.json()
        inbox.wait_for("dana@example.org", "Please read and sign")

        # Both sign; the case settles and everyone gets the signed PDF.
        sign(c, "paul@example.org", "Paul Plaintiff", doc)
        final = sign(c, "dana@example.org", "dana defendant", doc)
        assert final["status"] == "signed"
        assert c.get(f"/api/cases/{case_id}").json()["outcome"] == "settled"
        mailed = {
            who: attachment_of(inbox.wait_for(who, "Your signed settlement agreement"))
            for who in ("paul@example.org", "dana@example.org", "mia@example.org")
        }
        download = c.get(f"/api/agreements/{doc['id']}/pdf")
        assert download.status_code == 200
        text = pdf_text(download.content)
        assert all(pdf_text(data) == text for data in mailed.values())
        for words in (
            "Settlement Agreement",
            "Court: Stanley Mosk Courthouse",
            "Case number: 24SC01234",
            "Plaintiff: Paul Plaintiff",
            "Defendant: Dana Defendant",
            "Mediator: Mia",
            f"Date: {in_words(local_date(utcnow(), LA))}",
            f"Dana Defendant pays Paul Plaintiff $1,000.00 in 2 installments: $500.00 by "
            f"{spelled(day(30))}, $500.00 by {spelled(day(60))}.",
            "WITHOUT PREJUDICE",
            "Code of Civil Procedure section 664.6",
            "Evidence Code section 1123",
            CLARIFICATION,
            "/s/ Paul Plaintiff",
            "/s/ dana defendant",  # the name as typed (matched ignoring case)
            f"Document SHA-256: {doc['document_sha256']}",
        ):
            assert words in text, words
        assert "1,500" not in text and "materials" not in text  # the rejected offer stays out

        # The admin files it; the parties see the filing.
        login(c, "root@example.org", PASSWORD)
        (queued,) = c.get("/api/admin/filing").json()["agreements"]
        assert queued["agreement_id"] == doc["id"]
        package = c.get(f"/api/admin/agreements/{doc['id']}/filing-package")
        assert package.status_code == 200
        cover = pdf_text(package.content)
        assert "Filing Cover Sheet" in cover and "Case number: 24SC01234" in cover
        problems = check_pdf(
            package.content,
            CaseKind.SMALL_CLAIMS,
            case_number="24SC01234",
            parties=("Paul Plaintiff", "Dana Defendant"),
            must_have=(CLARIFICATION, "Worksheet: Request for Dismissal", "[Proposed] Order"),
            must_not_have=("1,500", "materials"),
        )
        assert problems == []
        assert "Paul Plaintiff, plaintiff" in cover and CLARIFICATION in cover
        r = post(
            c,
            f"/api/admin/agreements/{doc['id']}/filed",
            {"filed_on": day(3), "court_reference": "SMC-2026-118"},
        )
        assert r.status_code == 200 and r.json()["status"] == "filed"
        inbox.wait_for("dana@example.org", "Your agreement was filed")
        login(c, "dana@example.org")
        seen = c.get(f"/api/cases/{case_id}/agreement").json()
        assert seen["status"] == "filed"
        assert seen["filing"] == {"filed_on": day(3), "court_reference": "SMC-2026-118"}
        actions = [e["action"] for e in _audit(c)]
        assert actions.count("agreement.signed") == 2
        assert {"agreement.filed", "agreement.filing_package_downloaded"} <= set(actions)


def _audit(c: TestClient) -> list[dict[str, object]]:
    login(c, "root@example.org", PASSWORD)
    entries: list[dict[str, object]] = c.get("/api/admin/audit").json()["entries"]
    return entries
