"""Unlawful detainer, civil harassment and community cases from intake to the end, over HTTP.

Each case is opened through the API, the invitation read back from a real SMTP server, both
sides consent, an admin assigns the mediator, an offer is accepted, the mediator sends the text,
and both sides sign. Court kinds are then filed: the admin's packet passes the clerk's checklist
(tests/agreements/checklist.py) and the agreement reaches "filed". In the civil harassment case
the respondent signs in ink and staff record it with the scan of the signed page, which the
cover sheet lists. A community case is never filed with a court: its packet is the centre's
closing record (`check_record`: the centre's reference on every page, no court wording), and it
reaches "filed" with no court reference, meaning kept on file by the centre, which is what its
parties are told. A second community case is signed on paper by the responding party.
(The small claims case is tests/agreements/test_e2e.py.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from starlette.testclient import TestClient

from odrchat.cases.kinds import CaseKind
from odrchat.settings import Settings
from odrchat.store.types import utcnow
from tests.agreements.checklist import check_pdf, check_record
from tests.agreements.test_e2e import day, pdf_text, sign
from tests.cases.test_e2e import SmtpServer, smtp, text_of
from tests.cases.world import INVITE, PASSWORD, staff
from tests.documents import samples
from tests.helpers import client_for, login, post, register

__all__ = ["smtp"]  # the fixture, used below by name

# Names without "Plaintiff" or "Defendant" in them: civil harassment papers must not say either.
P_NAME, D_NAME = "Paula Perez", "Dana Diaz"
# The safety screening's answers of a party with no order, no fear and no needs.
CALM = {"order": "no", "afraid": False, "support_person": False, "accommodation": False}
PREMISES = "1234 Sunset Blvd., Apt. 5, Los Angeles, CA 90026"


@dataclass(frozen=True)
class Kind:
    kind: CaseKind
    facts: dict[str, Any]
    terms: list[dict[str, Any]]
    must_have: tuple[str, ...] = ()
    options: dict[str, Any] | None = None
    paper: bool = False  # the respondent signs in ink
    court: dict[str, str] = field(default_factory=dict)


PAYMENT = {
    "kind": "payment",
    "payer": "defendant",
    "payee": "plaintiff",
    "amount_cents": 180_000,
    "schedule": {"kind": "lump_sum", "due": day(20)},
}
COMMUNITY_TERMS = [
    {
        "kind": "property_return",
        "returner": "defendant",
        "description": "the ladder and the hedge trimmer",
        "by": day(10),
    },
    PAYMENT,
]
COMMUNITY_MUST = ("the ladder and the hedge trimmer", "$1,800.00", "Kept on file by CCR since:")
KINDS = {
    "unlawful_detainer": Kind(
        CaseKind.UNLAWFUL_DETAINER,
        {
            "court_name": "Stanley Mosk Courthouse",
            "court_case_number": "26STUD05678",
            "premises_address": PREMISES,
            "department": "Dept. 94",
        },
        [{"kind": "move_out", "by": day(30), "tenant": "defendant"}, PAYMENT],
        must_have=(PREMISES, "Stipulation for Entry of Judgment", "[PROPOSED] JUDGMENT"),
        options={"clauses": ["no_admission"], "ud_route": "stipulated_judgment"},
    ),
    "civil_harassment": Kind(
        CaseKind.CIVIL_HARASSMENT,
        {"court_name": "Stanley Mosk Courthouse", "court_case_number": "26STRO00912"},
        [
            {
                "kind": "stay_away",
                "restrained": "defendant",
                "distance_feet": 100,
                "no_contact": True,
                "details": "",
            }
        ],
        must_have=(
            "Worksheet: Request for Dismissal",
            "[Proposed] Order",
            "signed in ink on paper",
            "Scan of the signed page kept with the signature record: signed-page.pdf",
        ),
        paper=True,
    ),
    "community": Kind(
        CaseKind.COMMUNITY,
        {},
        COMMUNITY_TERMS,
        must_have=COMMUNITY_MUST,
    ),
    "community_on_paper": Kind(
        CaseKind.COMMUNITY,
        {},
        COMMUNITY_TERMS,
        must_have=(
            *COMMUNITY_MUST,
            "signed in ink on paper",
            "Scan of the signed page kept with the signature record: signed-page.pdf",
        ),
        paper=True,
    ),
}


def open_case(c: TestClient, db_url: str, smtp: SmtpServer, k: Kind) -> tuple[int, int]:
    """Intake to mediation: returns (case id, mediator id)."""
    register(c, db_url, "paul@example.org", P_NAME)
    login(c, "paul@example.org")
    body = {
        "kind": k.kind.value,
        "side": "plaintiff",
        "description": "What the dispute is about.",
        "other_name": D_NAME,
        "other_email": "dana@example.org",
        **k.facts,
    }
    r = post(c, "/api/cases", body)
    assert r.status_code == 201, r.text
    case_id = int(r.json()["id"])
    invitation = text_of(smtp.inbox.wait_for("dana@example.org", "invites you"))
    found = INVITE.search(invitation)
    assert found is not None
    register(c, db_url, "dana@example.org", D_NAME, verify=False)
    login(c, "dana@example.org")
    assert post(c, f"/api/invitations/{found.group(1)}/accept", {}).status_code == 200
    version = c.get("/api/agreement-to-mediate").json()["version"]
    for who in ("dana@example.org", "paul@example.org"):
        login(c, who)
        if c.get(f"/api/cases/{case_id}").json()["screening_required"]:  # civil harassment
            r = post(c, f"/api/cases/{case_id}/screening", CALM)
            assert r.status_code == 200, r.text
        r = post(c, f"/api/cases/{case_id}/consent", {"text_version": version})
        assert r.status_code == 200, r.text
    mia = staff(c, "mia", "mediator")
    staff(c, "root", "admin")
    login(c, "root@example.org", PASSWORD)
    r = post(c, f"/api/admin/cases/{case_id}/assign", {"mediator_id": mia})
    assert r.status_code == 200 and r.json()["status"] == "in_mediation", r.text
    return case_id, mia


def upload_scan(c: TestClient, case_id: int) -> int:
    """The mediator uploads the scan of the signed page to the mediators' room."""
    rooms = c.get(f"/api/cases/{case_id}/rooms").json()["rooms"]
    room = next(r for r in rooms if r["kind"] == "mediators")
    csrf = c.get("/api/session").json()["csrf_token"]
    headers = {
        "X-CSRF-Token": csrf,
        "X-Upload-Id": "scan-1",
        "X-Document-Name": "signed-page.pdf",
        "X-Document-Caption": "",
        "Content-Type": "application/octet-stream",
    }
    r = c.post(
        f"/api/rooms/{room['room']}/documents", content=samples.pdf("Signed"), headers=headers
    )
    assert r.status_code in (200, 201), r.text
    return int(r.json()["document"]["id"])


@pytest.mark.parametrize("name", sorted(KINDS))
def test_a_case_of_each_kind_from_intake_to_its_end(
    name: str, settings: Settings, db_url: str, smtp: SmtpServer
) -> None:
    k = KINDS[name]
    smtp.start()
    with client_for(settings, mailer=smtp.mailer()) as c:
        case_id, _ = open_case(c, db_url, smtp, k)
        login(c, "paul@example.org")
        r = post(c, f"/api/cases/{case_id}/offers", {"terms": k.terms})
        assert r.status_code == 201, r.text
        login(c, "dana@example.org")
        r = post(c, f"/api/offers/{r.json()['id']}/accept", None)
        assert r.status_code == 200, r.text

        login(c, "mia@example.org", PASSWORD)
        draft = c.get(f"/api/cases/{case_id}/agreement").json()
        if k.options is not None:
            edit = {"clarifications": "", "options": k.options}
            r = post(c, f"/api/agreements/{draft['id']}/edit", edit)
            assert r.status_code == 200, r.text
        r = post(c, f"/api/agreements/{draft['id']}/send", None)
        assert r.status_code == 200, r.text
        doc = r.json()

        sign(c, "paul@example.org", P_NAME, doc)
        if k.paper:
            login(c, "mia@example.org", PASSWORD)
            page = c.get(f"/api/agreements/{doc['id']}/signature-page")
            assert page.status_code == 200 and doc["document_sha256"] in pdf_text(page.content)
            scan = upload_scan(c, case_id)
            dana = next(
                p["user_id"]
                for p in c.get(f"/api/cases/{case_id}").json()["participants"]
                if p["side"] == "defendant" and p["role"] == "party"
            )
            body = {
                "signer_user_id": dana,
                "signed_at": utcnow().isoformat(),
                "document_sha256": doc["document_sha256"],
                "scan_document_id": scan,
            }
            r = post(c, f"/api/agreements/{doc['id']}/paper-signature", body)
            assert r.status_code == 200, r.text
            final = r.json()
            (paper,) = [g for g in final["signatures"] if g["method"] == "paper"]
            assert paper["scan_document_id"] == scan
        else:
            final = sign(c, "dana@example.org", D_NAME, doc)
        assert final["status"] == "signed"

        login(c, "root@example.org", PASSWORD)
        if k.kind is CaseKind.COMMUNITY:
            keep_on_file(c, smtp, k, case_id, doc)
            return
        package = c.get(f"/api/admin/agreements/{doc['id']}/filing-package")
        assert package.status_code == 200, package.text
        problems = check_pdf(
            package.content,
            k.kind,
            case_number=k.facts["court_case_number"],
            parties=(P_NAME, D_NAME),
            court=k.facts["court_name"],
            short_title="Perez v. Diaz",
            must_have=k.must_have,
        )
        assert problems == []
        r = post(
            c,
            f"/api/admin/agreements/{doc['id']}/filed",
            {"filed_on": day(2), "court_reference": "REF-77"},
        )
        assert r.status_code == 200 and r.json()["status"] == "filed", r.text
        login(c, "dana@example.org")
        seen = c.get(f"/api/cases/{case_id}/agreement").json()
        assert seen["status"] == "filed"
        assert seen["filing"] == {"filed_on": day(2), "court_reference": "REF-77"}


def keep_on_file(
    c: TestClient, smtp: SmtpServer, k: Kind, case_id: int, doc: dict[str, Any]
) -> None:
    """A community agreement's end: the admin keeps it on file under the centre's reference."""
    reference = f"CCR-{case_id:06d}"
    (queued,) = c.get("/api/admin/filing").json()["agreements"]
    assert queued["centre_reference"] == reference and queued["court_case_number"] is None
    admin = f"/api/admin/agreements/{doc['id']}"
    # There is no court reference to give for a community agreement.
    r = post(c, admin + "/filed", {"filed_on": day(2), "court_reference": "REF-77"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "no_court_reference", r.text
    r = post(c, admin + "/filed", {"filed_on": day(2)})
    assert r.status_code == 200 and r.json()["status"] == "filed", r.text
    assert c.get("/api/admin/filing").json()["agreements"] == []
    record = c.get(admin + "/filing-package")
    assert record.status_code == 200, record.text
    assert (
        f'filename="record-settlement-agreement-case-{case_id}.pdf"'
        in (record.headers["content-disposition"])
    )
    problems = check_record(
        record.content, reference=reference, parties=(P_NAME, D_NAME), must_have=k.must_have
    )
    assert problems == []
    told = text_of(smtp.inbox.wait_for("paul@example.org", "kept on file"))
    assert "not filed with a court" in told and "filed your signed agreement with" not in told
    login(c, "dana@example.org")
    seen = c.get(f"/api/cases/{case_id}/agreement").json()
    assert seen["status"] == "filed" and seen["court_filed"] is False
    assert seen["centre_reference"] == reference
    assert seen["filing"] == {"filed_on": day(2), "court_reference": None}
    assert [i["status"] for i in seen["payments"]["instalments"]] == ["due"]
    # Still no court paper for a private agreement.
    worksheet = c.get(f"/api/agreements/{doc['id']}/enforcement-worksheet")
    assert worksheet.status_code == 409
    assert worksheet.json()["error"]["code"] == "not_court_case"
    signed_pdf = c.get(f"/api/agreements/{doc['id']}/pdf")
    problems = check_pdf(
        signed_pdf.content,
        k.kind,
        case_number=None,
        parties=(P_NAME, D_NAME),
        must_have=("the ladder and the hedge trimmer", "$1,800.00"),
    )
    assert problems == []
