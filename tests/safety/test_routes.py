"""Screening and "need help" over HTTP, on SQLite and PostgreSQL, from intake to the rooms."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from starlette.testclient import TestClient

from odrchat.settings import Settings
from tests.cases.world import PASSWORD, api_open, staff
from tests.helpers import client_for, csrf, link_token, login, outbox, post, register

NOTE = "SCREEN-NOTE-paul-he-followed-me-home"
CH = {
    "kind": "civil_harassment",
    "court_name": "Stanley Mosk Courthouse",
    "court_case_number": "24CH00042",
    "description": "He keeps coming to my door.",
}
CALM = {"order": "no", "afraid": False, "support_person": False, "accommodation": False}
AFRAID = {
    "order": "yes",
    "afraid": True,
    "support_person": True,
    "accommodation": False,
    "note": NOTE,
}
ORIGIN = {"origin": "http://testserver"}


def _joined(c: TestClient, db_url: str, **facts: Any) -> int:
    """Paul opens a case against Dana and she joins it; returns the case id."""
    for who in ("paul", "dana"):
        register(c, db_url, f"{who}@example.org", who.title())
    login(c, "paul@example.org")
    case_id = int(api_open(c, **facts)["id"])
    login(c, "dana@example.org")
    token = link_token(db_url, "dana@example.org", "invite")
    assert post(c, f"/api/invitations/{token}/accept", {}).status_code == 200
    return case_id


def _consent(c: TestClient, case_id: int) -> Any:
    version = c.get("/api/agreement-to-mediate").json()["version"]
    return post(c, f"/api/cases/{case_id}/consent", {"text_version": version})


def test_civil_harassment_asks_each_party_first_and_only_the_neutrals_see_the_answers(
    settings: Settings, db_url: str
) -> None:
    with client_for(settings) as c:
        admin = staff(c, "root", "admin")
        mia = staff(c, "mia", "mediator")
        case_id = _joined(c, db_url, **CH)
        url = f"/api/cases/{case_id}/screening"

        # Dana (logged in) may not agree to mediate before she answered.
        detail = c.get(f"/api/cases/{case_id}").json()
        assert detail["screening_required"] and detail["screening_answered"] is False
        assert detail["next_step"].startswith("Please answer a few private safety questions")
        refused = _consent(c, case_id)
        assert refused.status_code == 409
        assert refused.json()["error"]["code"] == "screening_needed"
        bad = post(c, url, {**CALM, "order": "maybe"})
        assert bad.status_code == 422 and "order" in bad.json()["error"]["fields"]
        mine = post(c, url, CALM).json()
        assert mine["flagged"] is None and [a["side"] for a in mine["answers"]] == ["defendant"]
        assert _consent(c, case_id).status_code == 200

        login(c, "paul@example.org")
        assert _consent(c, case_id).json()["error"]["code"] == "screening_needed"
        answered = post(c, url, AFRAID)
        assert answered.status_code == 200, answered.text
        assert [a["note"] for a in answered.json()["answers"]] == [NOTE]
        assert _consent(c, case_id).json()["status"] == "awaiting_mediator"
        # A party's own view of the case never says whether anyone's screening flagged it.
        assert c.get(f"/api/cases/{case_id}").json()["safety_flag"] is None

        # Dana sees her own answers only, and nothing of Paul's anywhere she can look.
        login(c, "dana@example.org")
        hers = c.get(url).json()
        assert [a["side"] for a in hers["answers"]] == ["defendant"] and hers["flagged"] is None
        for path in (url, f"/api/cases/{case_id}", "/api/cases"):
            text = c.get(path).text
            assert NOTE not in text and '"safety_flag":true' not in text, path

        # The admin queue shows the flag, without the answers.
        login(c, "root@example.org", PASSWORD)
        queued = c.get("/api/admin/queue").json()["cases"]
        assert [(q["id"], q["safety_flag"]) for q in queued] == [(case_id, True)]
        assert NOTE not in c.get("/api/admin/queue").text
        seen = c.get(url).json()
        assert seen["flagged"] is True and {a["side"] for a in seen["answers"]} == {
            "plaintiff",
            "defendant",
        }
        audit = c.get("/api/admin/audit", params={"case_id": case_id}).json()["entries"]
        actions = [e["action"] for e in audit]
        assert "screening.viewed" in actions and "screening.answered" in actions
        assert NOTE not in str(audit) and "afraid" not in str(audit)
        assert (
            post(c, f"/api/admin/cases/{case_id}/assign", {"mediator_id": mia}).status_code == 200
        )

        login(c, "mia@example.org", PASSWORD)
        listed = c.get("/api/cases").json()["cases"]
        assert [(x["id"], x["safety_flag"]) for x in listed] == [(case_id, True)]
        assert [a["note"] for a in c.get(url).json()["answers"] if a["side"] == "plaintiff"] == [
            NOTE
        ]
        assert admin != mia

    # The mediator was told at assignment that the screening needs care (and nothing more).
    told = [m for m in outbox(db_url) if "please read the safety screening" in m.subject]
    assert {m.recipient for m in told} == {"mia@example.org"}
    # Nothing of the answers left in any email or text.
    for row in outbox(db_url):
        assert NOTE not in row.body_text and "afraid" not in row.body_text.lower(), row.subject


def test_screening_is_optional_by_setting_for_other_kinds(
    settings: Settings, db_url: str, make_settings: Any
) -> None:
    with client_for(settings) as c:
        case_id = _joined(c, db_url)  # small claims: not screened by default
        detail = c.get(f"/api/cases/{case_id}").json()
        assert detail["screening_required"] is False
        assert _consent(c, case_id).status_code == 200
    screened = make_settings(
        db_url, screening_kinds=frozenset({"civil_harassment", "small_claims"})
    )
    with client_for(screened) as c:
        login(c, "paul@example.org")
        assert c.get(f"/api/cases/{case_id}").json()["screening_required"] is True
        assert _consent(c, case_id).json()["error"]["code"] == "screening_needed"


def test_only_a_party_answers_and_outsiders_get_404(settings: Settings, db_url: str) -> None:
    with client_for(settings) as c:
        staff(c, "mia", "mediator")
        case_id = _joined(c, db_url, **CH)
        register(c, db_url, "eve@example.org", "Eve")
        login(c, "eve@example.org")
        url = f"/api/cases/{case_id}/screening"
        assert c.get(url).status_code == 404 and post(c, url, CALM).status_code == 404
        login(c, "mia@example.org", PASSWORD)  # not in the case yet: an outsider too
        assert c.get(url).status_code == 404


@contextmanager
def _socket(c: TestClient, who: str, password: str) -> Iterator[Any]:
    login(c, f"{who}@example.org", password)
    token = c.cookies["odr_session"]
    c.cookies.clear()
    with c.websocket_connect("/ws", headers={**ORIGIN, "cookie": f"odr_session={token}"}) as ws:
        assert ws.receive_json()["type"] == "hello"
        yield ws


def _until(ws: Any, type_: str, **match: Any) -> dict[str, Any]:
    for _ in range(500):
        frame = ws.receive_json()
        if frame["type"] == type_ and all(frame.get(k) == v for k, v in match.items()):
            return frame
    raise AssertionError(f"no {type_}")


def _in_mediation(c: TestClient, db_url: str) -> tuple[int, int]:
    mia = staff(c, "mia", "mediator")
    staff(c, "root", "admin")
    case_id = _joined(c, db_url)
    assert _consent(c, case_id).status_code == 200
    login(c, "paul@example.org")
    assert _consent(c, case_id).status_code == 200
    login(c, "root@example.org", PASSWORD)
    assert post(c, f"/api/admin/cases/{case_id}/assign", {"mediator_id": mia}).status_code == 200
    return case_id, mia


def test_need_help_tells_the_mediator_in_the_room_and_staff_when_nobody_is_online(
    settings: Settings, db_url: str
) -> None:
    with client_for(settings) as c:
        case_id, _ = _in_mediation(c, db_url)
        login(c, "paul@example.org")
        rooms = c.get(f"/api/cases/{case_id}/rooms").json()["rooms"]
        private = next(r["room"] for r in rooms if r["kind"] == "private")
        help_url = f"/api/cases/{case_id}/help"
        with _socket(c, "paul", PASSWORD) as ws:
            ws.send_json({"type": "room.subscribe", "id": "s", "room": private})
            _until(ws, "room.synced", room=private)
            login(c, "paul@example.org")
            ws.send_json({"type": "chat.send", "id": "m1", "room": private, "text": "CHAT-TEXT"})
            _until(ws, "chat.ack", re="m1")
            r = post(c, help_url, {"reason": "unsafe", "room_id": private})
            assert r.status_code == 200, r.text
            reply = r.json()
            assert reply["status"] == "recorded" and reply["mediators_online"] is False
            assert reply["admins_told"] is True and "911" in reply["emergency"]
            assert any("911" in step for step in reply["next_steps"])
            event = _until(ws, "case.help_requested", room=private)
            assert event["event"]["reason"] == "unsafe" and event["event"]["side"] == "plaintiff"
        again = post(c, help_url, {"reason": "unsafe"})
        assert again.status_code == 429 and "911" in again.json()["error"]["message"]
        assert post(c, help_url, {"reason": "shout"}).status_code == 422

        login(c, "dana@example.org")  # the other side never hears of it
        assert c.get(f"/api/cases/{case_id}").json()["help_requested_at"] is None
        assert post(c, help_url, {"reason": "question"}).status_code == 200

        login(c, "mia@example.org", PASSWORD)
        mine = c.get("/api/cases").json()["cases"][0]
        assert mine["help_requested_at"] is not None

    told = [(m.recipient, m.subject) for m in outbox(db_url) if "asked for help" in m.subject]
    assert ("mia@example.org", f"Case #{case_id}: a party asked for help") in told
    assert "root@example.org" in {to for to, _ in told}
    for row in outbox(db_url):
        assert "CHAT-TEXT" not in row.body_text


def test_need_help_with_the_mediator_online_does_not_page_staff(
    settings: Settings, db_url: str
) -> None:
    with client_for(settings) as c:
        case_id, _ = _in_mediation(c, db_url)
        login(c, "mia@example.org", PASSWORD)
        rooms = c.get(f"/api/cases/{case_id}/rooms").json()["rooms"]
        joint = next(r["room"] for r in rooms if r["kind"] == "joint")
        with _socket(c, "mia", PASSWORD) as ws:
            ws.send_json({"type": "room.subscribe", "id": "s", "room": joint})
            _until(ws, "room.synced", room=joint)
            login(c, "paul@example.org")
            reply = post(c, f"/api/cases/{case_id}/help", {"reason": "question"}).json()
            assert reply["mediators_online"] is True and reply["admins_told"] is False
            # The mediator reads it in Paul's private room.
            private = next(
                r["room"] for r in rooms if r["kind"] == "private" and r["side"] == "plaintiff"
            )
            ws.send_json({"type": "room.subscribe", "id": "p", "room": private})
            _until(ws, "case.help_requested", room=private)
    assert not [
        m for m in outbox(db_url) if m.recipient == "root@example.org" and "help" in m.subject
    ]


def test_the_mediator_marks_a_help_request_handled_and_it_is_audited(
    settings: Settings, db_url: str
) -> None:
    """Open vs handled: the case's mediator (or an admin) lists the requests and marks one
    handled once; who and when are kept and audited; nobody else lists or marks them."""
    with client_for(settings) as c:
        case_id, mia = _in_mediation(c, db_url)
        help_url = f"/api/cases/{case_id}/help"
        login(c, "paul@example.org")
        assert post(c, help_url, {"reason": "upset"}).status_code == 200
        assert c.get(help_url).status_code == 403  # the asking party does not list them
        login(c, "dana@example.org")
        assert post(c, help_url, {"reason": "technical"}).status_code == 200
        assert c.get(help_url).status_code == 403

        login(c, "mia@example.org", PASSWORD)
        listed = c.get(help_url).json()["requests"]
        assert [(r["side"], r["reason"], r["handled_at"]) for r in listed] == [
            ("defendant", "technical", None),
            ("plaintiff", "upset", None),
        ]
        assert c.get("/api/cases").json()["cases"][0]["help_open"] == 2
        paul_s = listed[1]["id"]
        done = post(c, f"{help_url}/{paul_s}/handled", {})
        assert done.status_code == 200, done.text
        assert done.json()["handled_by"] == {"user_id": mia, "name": "Mia"}
        assert done.json()["handled_at"] is not None
        again = post(c, f"{help_url}/{paul_s}/handled", {})
        assert again.status_code == 409 and again.json()["error"]["code"] == "wrong_state"
        assert post(c, f"{help_url}/999999/handled", {}).status_code == 404
        listed = c.get(help_url).json()["requests"]
        assert [r["handled_by"] is not None for r in listed] == [False, True]
        assert c.get(f"/api/cases/{case_id}").json()["help_open"] == 1

        login(c, "paul@example.org")  # a party may not mark one, nor learn who handled it
        assert post(c, f"{help_url}/{listed[0]['id']}/handled", {}).status_code == 403
        assert c.get(f"/api/cases/{case_id}").json()["help_open"] is None

        login(c, "root@example.org", PASSWORD)
        assert post(c, f"{help_url}/{listed[0]['id']}/handled", {}).status_code == 200
        assert c.get(f"/api/cases/{case_id}").json()["help_open"] == 0
        log = c.get("/api/admin/audit", params={"action": "help.handled"}).json()["entries"]
        assert [(e["actor_name"], e["detail"]["help"]) for e in log] == [
            ("Root", listed[0]["id"]),
            ("Mia", paul_s),
        ]


def test_a_spanish_mediator_reads_which_side_asked_for_help_in_spanish(
    make_settings: Callable[..., Settings], db_url: str
) -> None:
    """The notice names the side in the reader's language (before, the English side name
    went into the Spanish sentence). No outbox worker: this reads what was queued."""
    with client_for(make_settings(db_url, outbox_enabled=False)) as c:
        case_id, _ = _in_mediation(c, db_url)
        login(c, "mia@example.org", PASSWORD)
        assert c.patch("/api/me", json={"language": "es"}, headers=csrf(c)).status_code == 200
        login(c, "paul@example.org")
        assert post(c, f"/api/cases/{case_id}/help", {"reason": "question"}).status_code == 200
    (mail,) = [
        m for m in outbox(db_url) if m.recipient == "mia@example.org" and "ayuda" in m.subject
    ]
    assert f"La parte (demandante) del caso n.º {case_id} presionó" in mail.body_text
    assert "plaintiff" not in mail.body_text.lower()
