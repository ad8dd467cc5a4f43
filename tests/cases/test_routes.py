"""The case API over HTTP on SQLite and PostgreSQL: shapes, access (404 for outsiders), audit."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from odrchat.cases.routes import ENDPOINTS
from odrchat.cases.texts import AGREEMENT_TO_MEDIATE_VERSION
from odrchat.settings import Settings
from tests.cases.world import INVITE, PASSWORD, REASON, api_open, staff
from tests.helpers import client_for, csrf, link_token, login, outbox, post, register


def invite_token(db_url: str, to: str) -> str:
    return link_token(db_url, to, "invite")


def call(c: TestClient, method: str, path: str, body: Any = None) -> Any:
    return c.request(method, path, json=body, headers=csrf(c))


def bodies(version: str, some_user: int) -> dict[str, Any]:
    """A valid body for every case endpoint that takes one."""
    return {
        "resend_invitation": {},
        "revoke_invitation": {},
        "consent": {"text_version": version},
        "opt_out": {"reason": "because"},
        "invite_attorney": {"email": "lee@example.org", "name": "Lee"},
        "add_observer": {"user_id": some_user},
    }


def test_outsiders_get_404_from_every_case_endpoint(settings: Settings, db_url: str) -> None:
    with client_for(settings) as c:
        mia = staff(c, "mia", "mediator")
        register(c, db_url, "paul@example.org", "Paul")
        register(c, db_url, "eve@example.org", "Eve")
        login(c, "paul@example.org")
        case = api_open(c)
        login(c, "eve@example.org")
        case_endpoints = [ep for ep in ENDPOINTS if ep.path.startswith("/api/cases/{case_id")]
        assert len(case_endpoints) == 10
        samples = bodies(AGREEMENT_TO_MEDIATE_VERSION, mia)
        for case_id in (case["id"], case["id"] + 999):
            for ep in case_endpoints:
                path = ep.path.replace("{case_id:int}", str(case_id))
                path = path.replace("{user_id:int}", str(mia))
                r = call(c, ep.method, path, samples.get(ep.handler.__name__))
                assert r.status_code == 404, (ep.method, path, r.text)
                assert "fence" not in r.text and "Paul" not in r.text
        assert c.get("/api/cases").json() == {"cases": []}
        login(c, "paul@example.org")
        assert c.get(f"/api/cases/{case['id']}").json()["status"] == "invited"  # untouched


def test_admin_endpoints_refuse_everyone_else(settings: Settings, db_url: str) -> None:
    with client_for(settings) as c:
        admin_endpoints = [ep for ep in ENDPOINTS if ep.path.startswith("/api/admin")]
        assert {ep.access for ep in admin_endpoints} == {"admin"}
        for ep in admin_endpoints:
            path = ep.path.replace("{case_id:int}", "1").replace("{user_id:int}", "1")
            path = path.replace("{conflict_id:int}", "1")
            assert call(c, ep.method, path, {}).status_code == 401
        register(c, db_url, "eve@example.org")
        login(c, "eve@example.org")
        for ep in admin_endpoints:
            path = ep.path.replace("{case_id:int}", "1").replace("{user_id:int}", "1")
            path = path.replace("{conflict_id:int}", "1")
            assert call(c, ep.method, path, {}).status_code == 403


def test_intake_detail_and_list_show_what_each_side_may_see(
    settings: Settings, db_url: str
) -> None:
    with client_for(settings) as c:
        register(c, db_url, "paul@example.org", "Paul Plaintiff")
        login(c, "paul@example.org")
        post(c, "/api/auth/logout", {})
        bad = post(c, "/api/cases", {"kind": "small_claims"})
        assert bad.status_code == 401
        login(c, "paul@example.org")
        missing = post(
            c,
            "/api/cases",
            {
                "kind": "small_claims",
                "side": "plaintiff",
                "description": "x",
                "other_name": "D",
                "other_email": "dana@example.org",
            },
        )
        assert missing.status_code == 422
        assert set(missing.json()["error"]["fields"]) == {"court_case_number", "court_name"}
        case = api_open(c, hearing_date="2027-03-02", other_phone="+1 555 0199")
        assert case["status"] == "invited" and case["my_role"] == "party"
        assert case["consent_needed"] == AGREEMENT_TO_MEDIATE_VERSION
        assert case["waiting_on_me"] is True
        assert case["invitation"]["email"] == "dana@example.org"
        assert case["participants"][0]["duties"].startswith("a side of the dispute")
        listed = c.get("/api/cases").json()["cases"]
        assert [(x["id"], x["status"], x["waiting_on_me"]) for x in listed] == [
            (case["id"], "invited", True)
        ]
        sms = [m for m in outbox(db_url) if m.channel == "sms"]
        assert [m.recipient for m in sms] == ["+1 555 0199"]
        assert INVITE.search(sms[0].body_text) is None  # links go by email only

        token = invite_token(db_url, "dana@example.org")
        post(c, "/api/auth/logout", {})
        page = c.get(f"/api/invitations/{token}")  # public
        assert page.status_code == 200
        info = page.json()
        assert info["inviter"] == "Paul Plaintiff" and info["court_case_number"] == "24SC01234"
        assert "voluntary" in info["explainer"] and "paul@example.org" not in page.text

        # The invited person registers through the link; the invitation verifies the address.
        register(c, db_url, "dana@example.org", "Dana", verify=False)
        login(c, "dana@example.org")
        joined = post(c, f"/api/invitations/{token}/accept", {})
        assert joined.status_code == 200, joined.text
        assert c.get("/api/me").json()["email_verified"] is True
        paul = joined.json()["participants"][0]
        assert (paul["display_name"], paul["email"], paul["phone"]) == (
            "Paul Plaintiff",
            None,
            None,
        )
        assert joined.json()["invitation"] is None
        again = post(c, f"/api/invitations/{token}/accept", {})
        assert again.status_code == 422 and again.json()["error"]["code"] == "invalid_token"

        version = c.get("/api/agreement-to-mediate").json()["version"]
        stale = post(c, f"/api/cases/{case['id']}/consent", {"text_version": "old"})
        assert stale.status_code == 409 and stale.json()["error"]["code"] == "stale_text"
        done = post(c, f"/api/cases/{case['id']}/consent", {"text_version": version})
        assert done.json()["consent_needed"] is None
        assert done.json()["next_step"].startswith("Waiting for the other side")


def test_the_other_side_never_sees_contacts_even_shared_and_admin_views_are_audited(
    settings: Settings, db_url: str
) -> None:
    """Issue 16: sharing contacts never shows them to the other side (safety first)."""
    with client_for(settings) as c:
        admin = staff(c, "root", "admin")
        register(c, db_url, "paul@example.org", "Paul")
        register(c, db_url, "dana@example.org", "Dana")
        login(c, "paul@example.org")
        case = api_open(c, share_contact=True)
        login(c, "dana@example.org")
        post(c, f"/api/invitations/{invite_token(db_url, 'dana@example.org')}/accept", {})
        seen = c.get(f"/api/cases/{case['id']}").json()["participants"]
        assert [p["email"] for p in seen] == [None, "dana@example.org"]

        login(c, "root@example.org", PASSWORD)
        assert c.get("/api/cases").json() == {"cases": []}  # admins take part in nothing
        everything = c.get("/api/admin/cases").json()["cases"]
        assert [x["id"] for x in everything] == [case["id"]]
        view = c.get(f"/api/cases/{case['id']}")
        assert view.status_code == 200 and view.json()["my_role"] == "admin"
        entries = c.get("/api/admin/audit", params={"case_id": case["id"]}).json()["entries"]
        assert [(e["action"], e["actor_user_id"], e["case_id"]) for e in entries] == [
            ("case.viewed", admin, case["id"])
        ]
        assert c.get("/api/admin/audit", params={"case_id": "x"}).status_code == 422


def test_opt_out_reason_never_reaches_a_party_response(settings: Settings, db_url: str) -> None:
    with client_for(settings) as c:
        staff(c, "root", "admin")
        register(c, db_url, "paul@example.org", "Paul")
        register(c, db_url, "dana@example.org", "Dana")
        login(c, "paul@example.org")
        case = api_open(c)
        path = f"/api/cases/{case['id']}"
        stopped = post(c, path + "/opt-out", {"reason": REASON})
        assert stopped.status_code == 200 and stopped.json()["status"] == "opted_out"
        assert "Mediation has ended" in stopped.json()["notice"]
        responses = [stopped, c.get(path), c.get("/api/cases")]
        login(c, "dana@example.org")
        responses.append(c.get(f"/api/invitations/{invite_token(db_url, 'dana@example.org')}"))
        assert responses[-1].status_code == 422  # the case closed: the link died with it
        for r in responses:
            assert REASON not in r.text
        assert all(REASON not in m.body_text for m in outbox(db_url))
        login(c, "root@example.org", PASSWORD)
        assert REASON not in c.get(path).text  # not even in the admin's case view
        assert REASON in c.get("/api/admin/audit").text  # only in the audit log


def test_openapi_lists_every_case_endpoint(settings: Settings) -> None:
    with client_for(settings) as c:
        paths = c.get("/api/openapi.json").json()["paths"]
    assert "post" in paths["/api/cases/{case_id}/opt-out"]
    assert "delete" in paths["/api/cases/{case_id}/participants/{user_id}"]
    assert paths["/api/invitations/{token}"]["get"]["parameters"][0]["schema"] == {"type": "string"}
    assert {"/api/admin/queue", "/api/admin/audit", "/api/agreement-to-mediate"} <= set(paths)


def test_an_eviction_case_is_opened_with_its_premises_and_department(
    settings: Settings, db_url: str
) -> None:
    """Intake refuses an unlawful detainer case without the premises; the detail shows both."""
    with client_for(settings) as c:
        register(c, db_url, "lena@example.org", "Lena Landlord")
        login(c, "lena@example.org")
        body = {
            "kind": "unlawful_detainer",
            "side": "plaintiff",
            "court_name": "Stanley Mosk Courthouse",
            "court_case_number": "26STUD01234",
            "description": "Unpaid rent since March.",
            "other_name": "Tom Tenant",
            "other_email": "tom@example.org",
            "department": "Dept. 94",
        }
        missing = post(c, "/api/cases", body)
        assert missing.status_code == 422
        assert set(missing.json()["error"]["fields"]) == {"premises_address"}
        opened = post(c, "/api/cases", {**body, "premises_address": " 9 Elm St, Apt 2 "})
        assert opened.status_code == 201, opened.text
        detail = opened.json()
        assert detail["premises_address"] == "9 Elm St, Apt 2"
        assert detail["department"] == "Dept. 94"


def test_my_open_invitations_are_listed_and_answered_by_id_by_their_addressee_only(
    settings: Settings, db_url: str
) -> None:
    """My cases lists the invitations sent to my confirmed address (a person who confirmed
    the address on another device finds the invitation without the emailed link)."""
    with client_for(settings) as c:
        register(c, db_url, "paul@example.org", "Paul")
        login(c, "paul@example.org")
        first = api_open(c)
        second = api_open(c, court_case_number="24SC09999")
        # Someone else, and the invitee before confirming the address, see nothing.
        register(c, db_url, "eve@example.org", "Eve")
        login(c, "eve@example.org")
        assert c.get("/api/me/invitations").json() == {"invitations": []}
        register(c, db_url, "Dana@Example.org", "Dana", verify=False)
        login(c, "Dana@Example.org")
        assert c.get("/api/me/invitations").json() == {"invitations": []}
        # Nor may she read or answer one by id (the invitation page names it) until she has
        # confirmed the address: she gets the dead-link answer.
        token = link_token(db_url, "dana@example.org", "invite")
        waiting = c.get(f"/api/invitations/{token}").json()["id"]
        assert c.get(f"/api/me/invitations/{waiting}").json()["error"]["code"] == "invalid_token"
        for action in ("accept", "decline"):
            r = call(c, "POST", f"/api/me/invitations/{waiting}/{action}", {})
            assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_token", r.text
        post(c, "/api/auth/verify", {"token": link_token(db_url, "dana@example.org", "verify")})
        found = c.get("/api/me/invitations").json()["invitations"]
        assert [i["court_case_number"] for i in found] == ["24SC09999", "24SC01234"]
        assert found[0]["inviter"] == "Paul" and found[0]["role"] == "party"
        assert found[0]["side"] == "defendant" and "paul@example.org" not in str(found)
        one, other = found[1]["id"], found[0]["id"]
        assert c.get(f"/api/me/invitations/{one}").json()["court_case_number"] == "24SC01234"

        # Eve (confirmed, but not the addressee) can neither read nor answer them by id.
        login(c, "eve@example.org")
        for path in (f"/api/me/invitations/{one}",):
            assert c.get(path).status_code == 422
        for action in ("accept", "decline"):
            r = call(c, "POST", f"/api/me/invitations/{one}/{action}", {})
            assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_token", r.text

        # Dana accepts one and declines the other; both leave the list.
        login(c, "Dana@Example.org")
        joined = call(c, "POST", f"/api/me/invitations/{one}/accept", {})
        assert joined.status_code == 200, joined.text
        assert joined.json()["id"] == first["id"] and joined.json()["my_role"] == "party"
        assert call(c, "POST", f"/api/me/invitations/{other}/decline", {}).json() == {
            "status": "declined"
        }
        assert c.get("/api/me/invitations").json() == {"invitations": []}
        assert call(c, "POST", f"/api/me/invitations/{one}/accept", {}).status_code == 422
        login(c, "paul@example.org")
        assert c.get(f"/api/cases/{second['id']}").json()["status"] == "declined"


def test_a_court_number_already_open_is_filed_flagged_and_told_without_the_other_case(
    settings: Settings, db_url: str
) -> None:
    """Issue 17: the filer learns only that the number is in use; staff see which case."""
    with client_for(settings) as c:
        staff(c, "root", "admin")
        register(c, db_url, "paul@example.org", "Paul Plaintiff")
        register(c, db_url, "pat@example.org", "Pat Second")
        login(c, "paul@example.org")
        first = api_open(c, description="PAUL-SECRET fence story")
        assert first["court_case_number_in_use"] is False
        login(c, "pat@example.org")
        # Same number as people type it: spacing and letter case do not matter.
        second = post(
            c,
            "/api/cases",
            {
                "kind": "small_claims",
                "side": "defendant",
                "court_name": "Stanley Mosk Courthouse",
                "court_case_number": " 24sc 01234 ",
                "description": "Pat's own account",
                "other_name": "Quinn Other",
                "other_email": "quinn@example.org",
            },
        )
        assert second.status_code == 201, second.text  # filed all the same
        reply = second.json()
        assert reply["court_case_number_in_use"] is True
        assert reply["status"] == "invited" and reply["id"] != first["id"]
        for secret in ("Paul", "paul@example.org", "PAUL-SECRET", "Dana", "dana@example.org"):
            assert secret not in second.text
        assert [p["display_name"] for p in reply["participants"]] == ["Pat Second"]
        # The case page later says nothing about it either.
        assert "court_case_number_in_use" not in c.get(f"/api/cases/{reply['id']}").json()
        other = api_open(c, court_case_number="24SC09999", other_email="quinn@example.org")
        assert other["court_case_number_in_use"] is False
        community = api_open(
            c,
            kind="community",
            court_name=None,
            court_case_number=None,
            other_email="quinn@example.org",
        )
        assert community["court_case_number_in_use"] is False

        login(c, "root@example.org", PASSWORD)
        entries = c.get("/api/admin/audit", params={"case_id": reply["id"]}).json()["entries"]
        flagged = [e for e in entries if e["action"] == "case.same_court_number"]
        assert len(flagged) == 1 and str(first["id"]) in str(flagged[0]["detail"])
        # Staff see the pair in the case list from the start, before anyone joins.
        listed = {x["id"]: x["duplicates"] for x in c.get("/api/admin/cases").json()["cases"]}
        assert listed == {
            first["id"]: [reply["id"]],
            reply["id"]: [first["id"]],
            other["id"]: [],
            community["id"]: [],
        }
        # Once one of them closes, the other is no longer flagged.
        login(c, "paul@example.org")
        assert post(c, f"/api/cases/{first['id']}/opt-out", {}).status_code == 200
        login(c, "root@example.org", PASSWORD)
        listed = {x["id"]: x["duplicates"] for x in c.get("/api/admin/cases").json()["cases"]}
        assert listed[first["id"]] == [] and listed[reply["id"]] == []
