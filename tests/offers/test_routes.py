"""The offer API over HTTP: status codes, field errors, the thread, and the OpenAPI entries."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from starlette.testclient import TestClient

from odrchat.settings import Settings
from odrchat.store.types import utcnow
from tests.helpers import client_for, login, post
from tests.offers.test_service import REASON, payment
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


def make(client: TestClient, w: World, who: str = "paul", **body: Any) -> Any:
    as_(client, who)
    return post(client, f"/api/cases/{w.case_id}/offers", {"terms": [payment(60_000)], **body})


def test_making_an_offer_answers_201_with_the_offer(app: tuple[TestClient, World]) -> None:
    client, w = app
    deadline = (utcnow() + timedelta(days=2)).isoformat()
    r = make(client, w, explanation="Half.", deadline=deadline)
    assert r.status_code == 201, r.text
    offer = r.json()
    assert offer["status"] == "proposed" and offer["deadline"] == deadline
    assert offer["description"][0].startswith("Dana pays Paul $600.00")


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"terms": [{**payment(1), "amount_cents": -5}]}, {"terms/0/amount_cents"}),
        ({"terms": []}, {"terms"}),
        ({"terms": "600 dollars"}, {"terms"}),
        ({"terms": [payment(1)], "deadline": "tomorrow"}, {"deadline"}),
        ({"terms": [payment(1)], "deadline": "2030-01-01T10:00:00"}, {"deadline"}),
        ({"terms": [payment(1)], "surprise": 1}, {"surprise"}),
    ],
)
def test_bad_offers_answer_422_naming_the_fields(
    app: tuple[TestClient, World], body: dict[str, Any], fields: set[str]
) -> None:
    client, w = app
    as_(client, "paul")
    r = post(client, f"/api/cases/{w.case_id}/offers", body)
    assert r.status_code == 422, r.text
    assert set(r.json()["error"]["fields"]) == fields


def test_outsiders_get_404_and_observers_403(app: tuple[TestClient, World]) -> None:
    client, w = app
    assert make(client, w, "eve").status_code == 404
    assert make(client, w, "otto").status_code == 403
    assert client.get(f"/api/cases/{w.case_id}/offers").status_code == 200  # otto reads
    as_(client, "eve")
    assert client.get(f"/api/cases/{w.case_id}/offers").status_code == 404


def test_answers_over_http(app: tuple[TestClient, World]) -> None:
    client, w = app
    first = make(client, w).json()
    url = f"/api/offers/{first['id']}"
    assert post(client, url + "/accept", None).json()["error"]["code"] == "not_allowed"
    assert post(client, url + "/withdraw", None).status_code == 200
    second = make(client, w).json()
    url = f"/api/offers/{second['id']}"
    as_(client, "dana")
    r = post(client, url + "/reject", {"reason": "no"})
    assert r.status_code == 422 and set(r.json()["error"]["fields"]) == {"reason"}
    assert post(client, url + "/reject", {}).status_code == 422
    r = post(client, url + "/counter", {"terms": [payment(40_000)], "explanation": "Less."})
    assert r.status_code == 201 and r.json()["answers_offer_id"] == second["id"]
    counter = r.json()
    assert post(client, url + "/accept", None).status_code == 409  # countered already
    as_(client, "paul")
    r = post(client, f"/api/offers/{counter['id']}/reject", {"reason": REASON, "code": "amount"})
    assert r.status_code == 200 and r.json()["reject_code"] == "amount"
    thread = client.get(f"/api/cases/{w.case_id}/offers").json()
    assert [t["type"] for t in thread["timeline"]] == [
        "offer.made",
        "offer.withdrawn",
        "offer.made",
        "offer.countered",
        "offer.made",
        "offer.rejected",
    ]
    assert post(client, "/api/offers/999999/accept", None).status_code == 404


def test_accepting_over_http_drafts_the_agreement(app: tuple[TestClient, World]) -> None:
    client, w = app
    offer = make(client, w).json()
    as_(client, "dana")
    r = post(client, f"/api/offers/{offer['id']}/accept", None)
    assert r.status_code == 200 and r.json()["status"] == "accepted"
    found = client.get(f"/api/cases/{w.case_id}/agreement")
    assert found.status_code == 200 and found.json()["offer_id"] == offer["id"]
    assert make(client, w, "dana").status_code == 409


def test_the_openapi_document_lists_the_offer_endpoints(app: tuple[TestClient, World]) -> None:
    client, _ = app
    paths = client.get("/api/openapi.json").json()["paths"]
    assert set(paths["/api/cases/{case_id}/offers"]) == {"get", "post"}
    for action in ("accept", "reject", "counter", "withdraw"):
        assert "post" in paths[f"/api/offers/{{offer_id}}/{action}"]
