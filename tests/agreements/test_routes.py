"""The agreement API over HTTP: who may do what, PDFs, the filing desk, and error codes."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from odrchat.settings import Settings
from tests.helpers import client_for, login, post
from tests.offers.test_service import payment
from tests.rooms.world import PASSWORD, World, world


@pytest.fixture
def app(make_settings: Callable[..., Settings], db_url: str) -> Iterator[tuple[TestClient, World]]:
    w = world(db_url)
    # No outbox worker: these tests read what was queued, and on SQLite a worker cancelled
    # mid-transaction at shutdown can stall the hub's chores for the busy timeout.
    with client_for(make_settings(db_url, outbox_enabled=False)) as client:
        yield client, w


def as_(client: TestClient, who: str) -> None:
    login(client, f"{who}@example.org", PASSWORD)


def agreement_out(client: TestClient, w: World) -> dict[str, Any]:
    """Paul offers, dana accepts, mia sends the draft: the agreement as mia sees it."""
    as_(client, "paul")
    offer = post(client, f"/api/cases/{w.case_id}/offers", {"terms": [payment(60_000)]}).json()
    as_(client, "dana")
    assert post(client, f"/api/offers/{offer['id']}/accept", None).status_code == 200
    as_(client, "mia")
    doc = client.get(f"/api/cases/{w.case_id}/agreement").json()
    r = post(client, f"/api/agreements/{doc['id']}/send", None)
    assert r.status_code == 200, r.text
    return dict(r.json())


def sign(client: TestClient, who: str, doc: dict[str, Any], **changes: Any) -> Any:
    as_(client, who)
    body = {
        "esign_consent": True,
        "password": PASSWORD,
        "typed_name": who.title(),
        "agree_bound": True,
        "document_sha256": doc["document_sha256"],
        **changes,
    }
    return post(client, f"/api/agreements/{doc['id']}/sign", body)


def test_the_agreement_is_404_until_there_is_one(app: tuple[TestClient, World]) -> None:
    client, w = app
    as_(client, "paul")
    assert client.get(f"/api/cases/{w.case_id}/agreement").status_code == 404


def test_signing_over_http(app: tuple[TestClient, World]) -> None:
    client, w = app
    doc = agreement_out(client, w)
    url = f"/api/agreements/{doc['id']}"
    r = sign(client, "paul", doc, password="wrong password!")
    assert r.status_code == 403 and r.json()["error"]["code"] == "wrong_password"
    r = sign(client, "paul", doc, document_sha256="not a hash")
    assert r.status_code == 422 and set(r.json()["error"]["fields"]) == {"document_sha256"}
    assert sign(client, "paul", doc, esign_consent=False).status_code == 422
    assert sign(client, "otto", doc).status_code == 403
    assert sign(client, "eve", doc).status_code == 404
    r = sign(client, "alex", doc)
    assert r.status_code == 403 and r.json()["error"]["code"] == "attorney_not_authorised"
    as_(client, "paul")
    seen = client.get(url).json()
    assert seen["my"] == {
        "role": "party",
        "side": "plaintiff",
        "signed": False,
        "may_sign": True,
        "payment_actions": {},
    }
    assert "paper" in seen["esign_disclosure"]
    assert sign(client, "paul", doc).status_code == 200
    assert sign(client, "paul", doc).status_code == 409
    assert client.get(url + "/pdf").status_code == 409  # not signed by everyone yet
    r = sign(client, "dana", doc)
    assert r.status_code == 200 and r.json()["status"] == "signed"
    pdf = client.get(url + "/pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF") and "attachment" in pdf.headers["content-disposition"]
    as_(client, "eve")
    assert client.get(url + "/pdf").status_code == 404
    as_(client, "admin")
    assert client.get(url + "/pdf").status_code == 404


def test_authorising_an_attorney_over_http(app: tuple[TestClient, World]) -> None:
    client, w = app
    doc = agreement_out(client, w)
    url = f"/api/agreements/{doc['id']}/authorise-attorney"
    as_(client, "alex")
    assert post(client, url, {"attorney_user_id": w.users["alex"]}).status_code == 403
    as_(client, "paul")
    r = post(client, url, {"attorney_user_id": w.users["alex"]})
    assert r.status_code == 200 and len(r.json()["authorisations"]) == 1
    assert post(client, url, {"attorney_user_id": w.users["alex"]}).status_code == 409
    assert sign(client, "alex", doc).status_code == 200


def test_edits_are_the_mediators_and_void_signatures(app: tuple[TestClient, World]) -> None:
    client, w = app
    doc = agreement_out(client, w)
    url = f"/api/agreements/{doc['id']}/edit"
    assert sign(client, "paul", doc).status_code == 200
    assert post(client, url, {"clarifications": "Mine now."}).status_code == 403
    as_(client, "mia")
    r = post(client, url, {"clarifications": "Paid by cheque."})
    assert r.status_code == 200 and r.json()["signatures"] == []
    assert r.json()["voided_notes"][0].startswith("Signatures voided")
    assert sign(client, "dana", r.json()).status_code == 409  # back in draft
    as_(client, "mia")
    bad = post(client, url, {"clarifications": "", "options": {"ud_route": "eviction"}})
    assert bad.status_code == 422
    assert any(k.startswith("options") for k in bad.json()["error"]["fields"])
    chosen = {"clauses": ["no_admission"], "ud_route": "conditional_dismissal"}
    r = post(client, url, {"clarifications": "Paid by cheque.", "options": chosen})
    assert r.status_code == 200, r.text
    assert r.json()["options"] == chosen
    assert "No admission: by making this agreement" in r.json()["text"]


def test_the_filing_desk_is_for_admins(app: tuple[TestClient, World]) -> None:
    client, w = app
    doc = agreement_out(client, w)
    sign(client, "paul", doc)
    sign(client, "dana", doc)
    admin = f"/api/admin/agreements/{doc['id']}"
    assert client.get("/api/admin/filing").status_code == 403
    assert client.get(admin + "/filing-package").status_code == 403
    as_(client, "admin")
    (queued,) = client.get("/api/admin/filing").json()["agreements"]
    assert queued["agreement_id"] == doc["id"]
    package = client.get(admin + "/filing-package")
    assert package.status_code == 200 and package.content.startswith(b"%PDF")
    r = post(client, admin + "/filed", {"filed_on": "2027-01-05", "court_reference": ""})
    assert r.status_code == 422
    r = post(client, admin + "/filed", {"filed_on": "2027-01-05", "court_reference": "FR-1"})
    assert r.status_code == 200 and r.json()["status"] == "filed"
    assert (
        post(
            client, admin + "/filed", {"filed_on": "2027-01-05", "court_reference": "X"}
        ).status_code
        == 409
    )
    assert client.get("/api/admin/filing").json()["agreements"] == []
    as_(client, "dana")
    filing = client.get(f"/api/cases/{w.case_id}/agreement").json()["filing"]
    assert filing == {"filed_on": "2027-01-05", "court_reference": "FR-1"}


def test_marking_agreement_reached_is_the_mediators(app: tuple[TestClient, World]) -> None:
    client, w = app
    as_(client, "paul")
    offer = post(client, f"/api/cases/{w.case_id}/offers", {"terms": [payment(100)]}).json()
    url = f"/api/cases/{w.case_id}/agreement"
    assert post(client, url, {"offer_id": offer["id"]}).status_code == 403
    as_(client, "mia")
    assert post(client, url, {"offer_id": offer["id"]}).status_code == 409  # not accepted
    as_(client, "eve")
    assert post(client, url, {"offer_id": offer["id"]}).status_code == 404


def test_marking_agreement_reached_after_an_accept_is_documented_as_409(
    app: tuple[TestClient, World],
) -> None:
    """Accepting an offer drafts the agreement, so "Mark agreement reached" then answers 409;
    the OpenAPI document says so (it used to list the action with no word of it), and the
    browser offers no such action (nothing in static/js posts to the case's agreement)."""
    client, w = app
    as_(client, "paul")
    offer = post(client, f"/api/cases/{w.case_id}/offers", {"terms": [payment(100)]}).json()
    as_(client, "dana")
    assert post(client, f"/api/offers/{offer['id']}/accept", None).status_code == 200
    as_(client, "mia")
    url = f"/api/cases/{w.case_id}/agreement"
    again = post(client, url, {"offer_id": offer["id"]})
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"
    assert client.get(url).json()["offer_id"] == offer["id"]  # the draft is there already
    op = client.get("/api/openapi.json").json()["paths"]["/api/cases/{case_id}/agreement"]["post"]
    assert "409" in op["responses"]
    assert "already drafts it" in op["description"] and "409" in op["description"]
    js = Path(__file__).parents[2] / "odrchat" / "static" / "js"
    posts = [
        f.name
        for f in js.rglob("*.js")
        if re.search(r"api\.post\(`/api/cases/\$\{[^}]+\}/agreement`", f.read_text())
    ]
    assert posts == []


def test_the_openapi_document_lists_the_agreement_endpoints(
    app: tuple[TestClient, World],
) -> None:
    client, _ = app
    paths = client.get("/api/openapi.json").json()["paths"]
    for path in (
        "/api/agreements/{agreement_id}/sign",
        "/api/agreements/{agreement_id}/pdf",
        "/api/admin/filing",
        "/api/admin/agreements/{agreement_id}/filed",
        "/api/cases/{case_id}/agreement",
    ):
        assert path in paths
    sign_schema = paths["/api/agreements/{agreement_id}/sign"]["post"]["requestBody"]
    required = sign_schema["content"]["application/json"]["schema"]["required"]
    assert set(required) == {
        "esign_consent",
        "password",
        "typed_name",
        "agree_bound",
        "document_sha256",
    }


def test_paper_signing_over_http(app: tuple[TestClient, World]) -> None:
    client, w = app
    doc = agreement_out(client, w)
    as_(client, "dana")
    page = client.get(f"/api/agreements/{doc['id']}/signature-page")
    assert page.status_code == 200 and page.content.startswith(b"%PDF")
    assert page.headers["content-type"] == "application/pdf"
    url = f"/api/agreements/{doc['id']}/paper-signature"
    ink = {"signer_user_id": w.users["dana"], "signed_at": "2026-03-02T09:05:00-08:00"}
    assert post(client, url, {**ink, "document_sha256": doc["document_sha256"]}).status_code == 403
    as_(client, "mia")
    r = post(client, url, {**ink, "document_sha256": "f" * 64})
    assert r.status_code == 409 and r.json()["error"]["code"] == "stale_document"
    r = post(client, url, {**ink, "signed_at": "2026-03-02T09:05", "document_sha256": "f" * 64})
    assert r.status_code == 422 and set(r.json()["error"]["fields"]) == {"signed_at"}
    r = post(client, url, {**ink, "document_sha256": doc["document_sha256"]})
    assert r.status_code == 200, r.text
    assert [(g["for_side"], g["method"]) for g in r.json()["signatures"]] == [
        ("defendant", "paper")
    ]
