# ruff: noqa: F811  (the fixtures come from test_service)
"""Staffing and case administration on real rows: mediator profiles and days off steer the
suggestion, conflicts by name warn and need an audited override, fee review tells the filing
party, the admin case search and the audit log's names, filters and CSV."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest

from odrchat import audit
from odrchat.cases import staffing
from odrchat.cases.fees import FeeStatus
from odrchat.cases.service import CaseService
from odrchat.cases.texts import AGREEMENT_TO_MEDIATE_VERSION
from odrchat.cases.views import CaseFilter, admin_case_list
from odrchat.errors import Conflict
from odrchat.i18n import texts_for
from odrchat.settings import Settings
from tests.cases.test_service import People, db, people, svc  # noqa: F401 (fixtures)
from tests.cases.world import PASSWORD, REASON, api_open, mails, open_case, staff
from tests.helpers import client_for, login, post, register


async def _waiting(svc: CaseService, people: People, **facts: object) -> int:
    case_id, token = await open_case(svc, people.paul, **facts)
    await svc.accept_invitation(people.dana, token)
    for who in (people.paul, people.dana):
        await svc.consent(who, case_id, AGREEMENT_TO_MEDIATE_VERSION)
    return case_id


async def _suggested(svc: CaseService, today: date | None = None) -> int | None:
    async with svc.db.session() as s:
        (waiting,) = await staffing.queue(s, today or date.today())
    return waiting["suggested"]["id"] if waiting["suggested"] else None


async def test_profile_days_off_and_cap_steer_the_suggestion(
    svc: CaseService, people: People
) -> None:
    assert people.mia.id is not None and people.max.id is not None
    await _waiting(svc, people)
    assert await _suggested(svc) == people.mia.id  # equal loads: the lowest id
    # mia only takes community cases: this small claims case goes to max.
    await svc.set_profile(people.admin, people.mia.id, ["en"], ["community"], None)
    assert await _suggested(svc) == people.max.id
    await svc.set_profile(people.admin, people.mia.id, [], [], None)
    # max speaks Spanish, the language dana chose: he is preferred over mia.
    await svc.set_profile(people.admin, people.max.id, ["en", "es"], [], None)
    async with svc.db.session() as s:
        dana = await s.get(type(people.dana), people.dana.id)
        assert dana is not None
        dana.language = "es"
        s.add(dana)
    assert await _suggested(svc) == people.max.id
    # A day off today takes max out; tomorrow's does not.
    today = staffing.local_today(svc.settings.tz)
    await svc.set_days_off(people.admin, people.max.id, [today, today + timedelta(days=1)])
    assert await _suggested(svc, today) == people.mia.id
    assert await _suggested(svc, today + timedelta(days=2)) == people.max.id
    async with svc.db.session() as s:
        listed = {m["id"]: m for m in await staffing.mediators(s, today)}
    assert listed[people.max.id]["days_off"] == [today, today + timedelta(days=1)]
    assert listed[people.max.id]["languages"] == ["en", "es"]
    # A cap of zero room: mia with a cap of 1 and one case in mediation is not suggested.
    await svc.set_days_off(people.admin, people.max.id, [])
    await svc.set_profile(people.admin, people.max.id, [], [], 1)
    await svc.assign(
        people.admin, await _waiting(svc, people, other_email="dana@example.org"), people.max.id
    )
    async with svc.db.session() as s:
        queue = await staffing.queue(s, today)
    assert all(q["suggested"]["id"] == people.mia.id for q in queue)


async def test_a_conflict_by_account_is_named_in_the_readers_language(
    svc: CaseService, people: People
) -> None:
    """A conflict that names only an account reads "account 7" / "cuenta 7" on the queue."""
    assert people.mia.id is not None and people.dana.id is not None
    await _waiting(svc, people)
    await svc.add_conflict(people.admin, people.mia.id, None, people.dana.id, "neighbour")
    async with svc.db.session() as s:
        (english,) = await staffing.queue(s, date.today())
        (spanish,) = await staffing.queue(s, date.today(), texts_for("es"))
    assert english["conflicts"][0]["person"] == f"account {people.dana.id}"
    assert spanish["conflicts"][0]["person"] == f"cuenta {people.dana.id}"


async def test_a_conflict_by_name_warns_and_needs_an_audited_override(
    svc: CaseService, people: People
) -> None:
    assert people.mia.id is not None and people.max.id is not None
    case_id = await _waiting(svc, people)
    conflict = await svc.add_conflict(
        people.admin, people.mia.id, None, None, "former landlord", party_name="  dana  "
    )
    async with svc.db.session() as s:
        (waiting,) = await staffing.queue(s, date.today())
    assert waiting["conflicts"] == [
        {"mediator_id": people.mia.id, "person": "dana", "note": "former landlord"}
    ]
    assert waiting["suggested"]["id"] == people.max.id
    with pytest.raises(Conflict) as refused:
        await svc.assign(people.admin, case_id, people.mia.id)
    assert refused.value.detail_code == "mediator_conflict"
    assert "Mia" in str(refused.value) and "dana" in str(refused.value)
    await svc.assign(
        people.admin, case_id, people.mia.id, override_reason="the parties both asked for her"
    )
    async with svc.db.session() as s:
        actions = {e.action: e for e in await audit.entries(s, case_id=case_id)}
    override = actions["case.conflict_override"]
    assert f'"conflict_ids": [{conflict}]' in override.detail
    assert "both asked" in override.detail
    await svc.remove_conflict(people.admin, conflict)
    async with svc.db.session() as s:
        assert await staffing.conflicts(s) == []


async def test_fee_review_tells_the_filing_party_and_court_cases_have_none(
    svc: CaseService, people: People
) -> None:
    community = dict(kind="community", court_name=None, court_case_number=None, hearing_date=None)
    case_id = await _waiting(svc, people, **community)
    before = len(await mails(svc.db, "paul@example.org"))
    await svc.review_fee(people.admin, case_id, FeeStatus.WAIVED)
    told = (await mails(svc.db, "paul@example.org"))[before:]
    assert [m.subject for m in told] == ["Fee review for your mediation"]
    assert "waived" in told[0].body_text
    assert not [m for m in await mails(svc.db, "dana@example.org") if "Fee" in m.subject]
    court = await _waiting(svc, people, other_email="dana@example.org")
    with pytest.raises(Conflict):
        await svc.review_fee(people.admin, court, FeeStatus.PAID)


async def test_admin_search_and_duplicate_court_numbers(svc: CaseService, people: People) -> None:
    first = await _waiting(svc, people)
    second = await _waiting(svc, people, court_case_number="24 sc 01234")
    other = await _waiting(svc, people, court_case_number="99SC00001", other_name="Zed Other")
    async with svc.db.session() as s:
        queue = {q["id"]: q for q in await staffing.queue(s, date.today())}
        assert queue[first]["duplicates"] == [second]
        assert queue[other]["duplicates"] == []

        async def ids(**where: object) -> list[int]:
            return [c["id"] for c in await admin_case_list(s, people.admin, CaseFilter(**where))]  # type: ignore[arg-type]

        assert await ids() == [other, second, first]
        assert await ids(court_case_number="24sc") == [second, first]
        assert await ids(party="zed") == [other]
        assert await ids(kind="community") == []
        assert await ids(status="awaiting_mediator", court_case_number="99") == [other]
    assert people.max.id is not None
    await svc.assign(people.admin, other, people.max.id)
    async with svc.db.session() as s:
        assert [c["id"] for c in await admin_case_list(
            s, people.admin, CaseFilter(mediator_id=people.max.id)
        )] == [other]  # fmt: skip


def test_audit_log_names_roles_local_dates_filters_and_csv(settings: Settings, db_url: str) -> None:
    with client_for(settings) as c:
        mia = staff(c, "mia", "mediator")
        staff(c, "root", "admin")
        register(c, db_url, "paul@example.org", "Paul Plaintiff")
        login(c, "paul@example.org")
        case = api_open(c)
        r = post(c, f"/api/cases/{case['id']}/opt-out", {"reason": REASON})
        assert r.status_code == 200, r.text
        login(c, "root@example.org", PASSWORD)
        post(c, f"/api/admin/users/{mia}/disable", {})
        entries = c.get("/api/admin/audit").json()["entries"]
        by_action = {e["action"]: e for e in entries}
        opted = by_action["case.opted_out"]
        assert (opted["actor_name"], opted["actor_role"]) == ("Paul Plaintiff", "party")
        assert opted["at_local"].endswith(("PST", "PDT"))
        assert by_action["user.disabled"]["actor_role"] == "admin"

        users_only = c.get("/api/admin/audit", params={"action": "user."}).json()["entries"]
        assert {e["action"] for e in users_only} == {"user.disabled"}
        by_paul = c.get("/api/admin/audit", params={"actor": "plaintiff"}).json()["entries"]
        assert {e["action"] for e in by_paul} == {"case.opted_out"}
        later = (date.today() + timedelta(days=2)).isoformat()
        assert c.get("/api/admin/audit", params={"since": later}).json()["entries"] == []
        assert c.get("/api/admin/audit", params={"action": "DROP"}).status_code == 422

        exported = c.get("/api/admin/audit.csv")
        assert exported.status_code == 200
        assert exported.headers["content-type"].startswith("text/csv")
        assert "attachment" in exported.headers["content-disposition"]
        rows = list(csv.reader(io.StringIO(exported.text)))
        assert rows[0] == ["id", "date_time", "actor", "role", "action", "case_id", "detail"]
        assert any(r[2:5] == ["Paul Plaintiff", "party", "case.opted_out"] for r in rows)
        assert REASON not in exported.text  # the private reason never leaves in an export
        assert "fence" not in exported.text  # nor any case text
        only_case = c.get("/api/admin/audit.csv", params={"case_id": case["id"]}).text
        assert "user.disabled" not in only_case
