"""CaseService on real SQLite and PostgreSQL: every change goes through the machine and the rows."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from sqlmodel import col, select

from odrchat import audit
from odrchat.auth.tables import User
from odrchat.auth.tokens import hash_token
from odrchat.cases.machine import CaseStatus
from odrchat.cases.notices import Notice
from odrchat.cases.queries import (
    actor_for,
    case_members,
    consents_of,
    load_case,
    participants_of,
    state_of,
    user_case_ids,
)
from odrchat.cases.roles import Actor, Role, Side
from odrchat.cases.service import CaseService
from odrchat.cases.tables import Case, Invitation, Participant
from odrchat.cases.texts import AGREEMENT_TO_MEDIATE_VERSION
from odrchat.cases.unit import Units
from odrchat.errors import Conflict, Forbidden, Invalid, NotFound, OdrError
from odrchat.settings import Settings
from odrchat.store.db import Database
from odrchat.store.types import utcnow
from tests.cases.world import (
    REASON,
    RecordingFeed,
    add_user,
    in_mediation,
    last_token,
    mails,
    open_case,
)


@dataclass
class People:
    paul: User
    dana: User
    mia: User
    max: User
    admin: User
    eve: User


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = Database(db_url)
    try:
        yield database
    finally:
        await database.dispose()


@pytest.fixture
async def svc(db: Database, db_url: str, make_settings: Callable[..., Settings]) -> CaseService:
    return CaseService(Units(make_settings(db_url), db, feed=RecordingFeed()))


@pytest.fixture
async def people(db: Database) -> People:
    return People(
        paul=await add_user(db, "paul", phone="+1 555 0100"),
        dana=await add_user(db, "dana", verified=False),
        mia=await add_user(db, "mia", staff="mediator"),
        max=await add_user(db, "max", staff="mediator"),
        admin=await add_user(db, "root", staff="admin"),
        eve=await add_user(db, "eve"),
    )


def feed(svc: CaseService) -> RecordingFeed:
    assert isinstance(svc.units.feed, RecordingFeed)
    return svc.units.feed


async def state(svc: CaseService, case_id: int) -> tuple[Case, CaseStatus]:
    async with svc.db.session() as s:
        case = await load_case(s, case_id)
        assert case is not None
        rebuilt = state_of(case, await participants_of(s, case_id), await consents_of(s, case_id))
    return case, rebuilt.status


async def test_open_case_stores_a_hashed_single_use_invitation(
    svc: CaseService, people: People
) -> None:
    case_id, token = await open_case(svc, people.paul, share_contact=False)
    case, status = await state(svc, case_id)
    assert status is CaseStatus.INVITED and case.status == "invited"
    assert case.fee_review is False and case.initiator_side == "plaintiff"
    async with svc.db.session() as s:
        inv = (await s.exec(select(Invitation))).one()
    assert inv.token_hash == hash_token(token) and token not in inv.token_hash
    assert inv.expires_at - inv.created_at == timedelta(days=14)
    (email,) = await mails(svc.db, "dana@example.org")
    assert f"http://testserver/#/invite/{token}" in email.body_text
    assert "voluntary" in email.body_text and "no fee" in email.body_text.lower()
    # Neither the inviter's address nor phone goes to the other side.
    assert "paul@example.org" not in email.body_text and "0100" not in email.body_text
    assert feed(svc).types(case_id) == ["case.opened"]


async def test_community_case_is_subject_to_fee_review(svc: CaseService, people: People) -> None:
    case_id, token = await open_case(
        svc, people.paul, kind="community", court_name=None, court_case_number=None
    )
    case, _ = await state(svc, case_id)
    assert case.fee_review is True and case.court_case_number is None
    info = await svc.invitation_info(token)
    assert "fee review" in str(info["explainer"])


async def test_intake_refuses_unverified_users_and_names_bad_fields(
    svc: CaseService, people: People
) -> None:
    with pytest.raises(Forbidden):
        await open_case(svc, people.dana, other_email="paul@example.org")
    with pytest.raises(Invalid) as bad:
        await open_case(svc, people.paul, court_case_number=None, description=" ")
    assert set(bad.value.fields) == {"court_case_number", "description"}
    with pytest.raises(Invalid) as own:
        await open_case(svc, people.paul, other_email="PAUL@example.org")
    assert set(own.value.fields) == {"other_email"}


async def test_accepting_verifies_the_invited_address_and_refuses_other_accounts(
    svc: CaseService, people: People
) -> None:
    case_id, token = await open_case(svc, people.paul)
    with pytest.raises(Forbidden) as wrong:
        await svc.accept_invitation(people.eve, token)
    assert wrong.value.detail_code == "wrong_account"
    assert await svc.accept_invitation(people.dana, token, share_contact=True) == case_id
    async with svc.db.session() as s:
        dana = await s.get(User, people.dana.id)
        rows = await participants_of(s, case_id)
    assert dana is not None and dana.email_verified_at is not None
    assert [(r.user_id, r.role, r.side, r.share_contact) for r in rows] == [
        (people.paul.id, "party", "plaintiff", False),
        (people.dana.id, "party", "defendant", True),
    ]
    _, status = await state(svc, case_id)
    assert status is CaseStatus.AWAITING_CONSENT
    # The other party joined: paul is told (email and text, his phone is on file).
    told = await mails(svc.db, "paul@example.org")
    assert [m.subject for m in told] == ["The other side joined your case"]
    assert [m.channel for m in await mails(svc.db, "+1 555 0100")] == ["sms"]


async def test_used_expired_and_revoked_tokens_are_refused_alike(
    svc: CaseService, people: People
) -> None:
    _case_id, token = await open_case(svc, people.paul)
    await svc.accept_invitation(people.dana, token)
    for attempt in (svc.invitation_info(token), svc.accept_invitation(people.dana, token)):
        with pytest.raises(Invalid) as used:
            await attempt
        assert used.value.detail_code == "invalid_token"

    other_case, second = await open_case(svc, people.paul, other_email="eve@example.org")
    async with svc.db.session() as s:
        inv = (await s.exec(select(Invitation).where(col(Invitation.case_id) == other_case))).one()
        inv.expires_at = utcnow() - timedelta(seconds=1)
        s.add(inv)
    with pytest.raises(Invalid):
        await svc.accept_invitation(people.eve, second)

    third_case, third = await open_case(svc, people.paul, other_email="eve@example.org")
    await svc.revoke_invitation(people.paul, third_case)
    with pytest.raises(Invalid):
        await svc.decline_invitation(third)
    with pytest.raises(Invalid):
        await svc.accept_invitation(people.eve, "x" * 43)


async def test_resend_makes_a_new_token_and_kills_the_old_one(
    svc: CaseService, people: People
) -> None:
    case_id, old = await open_case(svc, people.paul)
    with pytest.raises(NotFound):  # eve is not in the case
        await svc.resend_invitation(people.eve, case_id)
    await svc.resend_invitation(people.paul, case_id)
    new = await last_token(svc.db, "dana@example.org")
    assert new != old
    with pytest.raises(Invalid):
        await svc.invitation_info(old)
    assert (await svc.invitation_info(new))["inviter"] == "Paul"
    # Corrected address: the next link goes there instead.
    await svc.resend_invitation(people.paul, case_id, email="Eve@example.org", name="Eve E")
    assert await svc.accept_invitation(people.eve, await last_token(svc.db, "eve@example.org"))


async def test_consent_from_both_sides_readies_the_case(svc: CaseService, people: People) -> None:
    case_id, token = await open_case(svc, people.paul)
    await svc.consent(people.paul, case_id, AGREEMENT_TO_MEDIATE_VERSION)  # before dana joins
    with pytest.raises(Conflict) as again:
        await svc.consent(people.paul, case_id, AGREEMENT_TO_MEDIATE_VERSION)
    assert again.value.detail_code == "already_consented"
    await svc.accept_invitation(people.dana, token)
    with pytest.raises(Conflict) as stale:
        await svc.consent(people.dana, case_id, "1999-1-1")
    assert stale.value.detail_code == "stale_text"
    await svc.consent(people.dana, case_id, AGREEMENT_TO_MEDIATE_VERSION)
    _, status = await state(svc, case_id)
    assert status is CaseStatus.AWAITING_MEDIATOR
    async with svc.db.session() as s:
        consents = await consents_of(s, case_id)
    assert [(c.user_id, c.side, c.text_version) for c in consents] == [
        (people.paul.id, "plaintiff", AGREEMENT_TO_MEDIATE_VERSION),
        (people.dana.id, "defendant", AGREEMENT_TO_MEDIATE_VERSION),
    ]
    assert feed(svc).types(case_id)[-2:] == ["case.consented", "case.ready_for_mediator"]


async def test_assignment_seats_neutrals_and_reassignment_replaces_them(
    svc: CaseService, people: People
) -> None:
    case_id = await in_mediation(svc, people.paul, people.dana, people.mia, people.admin)
    case, status = await state(svc, case_id)
    assert status is CaseStatus.IN_MEDIATION and case.mediator_id == people.mia.id
    assert case.mediator_intro is not None and "Mia" in case.mediator_intro
    assert [m.subject for m in await mails(svc.db, "mia@example.org")] == [
        "You have been assigned as mediator"
    ]
    assert any(
        m.subject == "Your mediator has been assigned"
        for m in await mails(svc.db, "dana@example.org")
    )
    assert people.max.id is not None and people.mia.id is not None
    await svc.assign(people.admin, case_id, people.max.id, people.mia.id)
    async with svc.db.session() as s:
        seats = [
            (p.user_id, p.role)
            for p, _ in await case_members(s, case_id)
            if p.role in ("mediator", "co_mediator")
        ]
        assert await actor_for(s, case_id, people.mia) == Actor(people.mia.id, Role.CO_MEDIATOR)
    assert seats == [(people.max.id, "mediator"), (people.mia.id, "co_mediator")]
    case, _ = await state(svc, case_id)
    assert case.mediator_intro is not None and "Mia will work with me" in case.mediator_intro
    async with svc.db.session() as s:
        actions = [e.action for e in await audit.entries(s, case_id=case_id)]
    assert actions.count("case.assigned") == 2


async def test_a_mediator_with_a_recorded_conflict_is_neither_suggested_nor_assignable(
    svc: CaseService, people: People
) -> None:
    from odrchat.cases import staffing

    case_id, token = await open_case(svc, people.paul)
    await svc.accept_invitation(people.dana, token)
    for who in (people.paul, people.dana):
        await svc.consent(who, case_id, AGREEMENT_TO_MEDIATE_VERSION)
    async with svc.db.session() as s:
        (waiting,) = await staffing.queue(s, date.today())
    assert waiting["suggested"] == {"id": people.mia.id, "display_name": "Mia"}  # lowest id tie
    assert people.mia.id is not None and people.max.id is not None
    await svc.add_conflict(people.admin, people.mia.id, "DANA@example.org", None, "neighbours")
    async with svc.db.session() as s:
        (waiting,) = await staffing.queue(s, date.today())
    assert waiting["suggested"] == {"id": people.max.id, "display_name": "Max"}
    with pytest.raises(Conflict) as refused:
        await svc.assign(people.admin, case_id, people.mia.id)
    assert refused.value.detail_code == "mediator_conflict"
    await svc.set_availability(people.admin, people.max.id, False)
    async with svc.db.session() as s:
        (waiting,) = await staffing.queue(s, date.today())
    assert waiting["suggested"] is None
    with pytest.raises(Invalid):  # a party is not a mediator
        assert people.eve.id is not None
        await svc.assign(people.admin, case_id, people.eve.id)


async def test_suggestion_prefers_the_mediator_with_fewest_active_cases(
    svc: CaseService, people: People
) -> None:
    from odrchat.cases import staffing

    await in_mediation(svc, people.paul, people.dana, people.mia, people.admin)
    case_id, token = await open_case(svc, people.paul)
    await svc.accept_invitation(people.dana, token)
    for who in (people.paul, people.dana):
        await svc.consent(who, case_id, AGREEMENT_TO_MEDIATE_VERSION)
    async with svc.db.session() as s:
        (waiting,) = await staffing.queue(s, date.today())
        loads = {m["id"]: m["active_cases"] for m in await staffing.mediators(s, date.today())}
    assert loads == {people.mia.id: 1, people.max.id: 0}
    assert waiting["id"] == case_id and waiting["suggested"]["id"] == people.max.id


async def test_opt_out_reason_is_private_to_the_audit_log(svc: CaseService, people: People) -> None:
    case_id = await in_mediation(svc, people.paul, people.dana, people.mia, people.admin)
    await svc.opt_out(people.dana, case_id, REASON)
    case, status = await state(svc, case_id)
    assert status is CaseStatus.OPTED_OUT and case.outcome == "opted_out"
    assert case.closed_at is not None and case.opt_out_reason == REASON
    assert REASON not in repr(feed(svc).recorded)
    assert all(
        REASON not in (m.body_text + (m.body_html or "") + m.subject) for m in await mails(svc.db)
    )
    for who in (people.paul, people.dana, people.mia):
        assert REASON not in repr(await svc.detail(who, case_id))
    closing = [m for m in await mails(svc.db, "paul@example.org") if "ended" in m.subject]
    assert len(closing) == 1 and "Dana" not in closing[0].body_text
    async with svc.db.session() as s:
        (entry,) = [
            e for e in await audit.entries(s, case_id=case_id) if e.action == "case.opted_out"
        ]
    assert audit.entry_json(entry)["detail"]["reason"] == REASON
    with pytest.raises(Conflict):  # final
        await svc.record_impasse(people.mia, case_id)


async def test_impasse_by_the_mediator_and_settlement_by_the_system(
    svc: CaseService, people: People
) -> None:
    case_id = await in_mediation(svc, people.paul, people.dana, people.mia, people.admin)
    with pytest.raises(Forbidden):  # a party cannot record an impasse
        await svc.record_impasse(people.paul, case_id)
    await svc.record_impasse(people.mia, case_id)
    case, status = await state(svc, case_id)
    assert status is CaseStatus.IMPASSE and case.closed_at is not None
    # The closing notice (the survey's link follows it: tests/survey).
    last = [m for m in await mails(svc.db, "dana@example.org") if "#/survey/" not in m.body_text][
        -1
    ]
    assert "attend your court hearing" in last.body_text

    settled = await in_mediation(svc, people.paul, people.dana, people.mia, people.admin)
    await svc.record_settlement(settled)
    _, status = await state(svc, settled)
    assert status is CaseStatus.SETTLED
    assert feed(svc).recorded[-1][1:] == (
        "case.closed",
        {"outcome": "settled", "at": feed(svc).recorded[-1][2]["at"]},
    )


async def test_decline_closes_the_case_not_mediated_and_tells_both_sides(
    svc: CaseService, people: People
) -> None:
    case_id, token = await open_case(svc, people.paul, hearing_date=utcnow().date())
    await svc.decline_invitation(token)  # no account needed
    _, status = await state(svc, case_id)
    assert status is CaseStatus.DECLINED
    for who in ("paul@example.org", "dana@example.org"):
        last = (await mails(svc.db, who))[-1]
        assert "Mediation will not take place" in last.body_text
        assert "attend your court hearing on" in last.body_text
    with pytest.raises(Invalid):
        await svc.accept_invitation(people.dana, token)


async def test_unanswered_invitations_expire_and_a_revoked_one_waits_for_its_expiry(
    svc: CaseService, people: People
) -> None:
    case_id, token = await open_case(svc, people.paul)
    revoked_case, _ = await open_case(svc, people.paul, other_email="eve@example.org")
    await svc.revoke_invitation(people.paul, revoked_case)
    answered, answered_token = await open_case(svc, people.paul, other_email="max@example.org")
    await svc.accept_invitation(people.max, answered_token)

    assert await svc.expire_invitations(utcnow() + timedelta(days=13)) == 0
    assert await svc.expire_invitations(utcnow() + timedelta(days=15)) == 2
    assert await svc.expire_invitations(utcnow() + timedelta(days=16)) == 0
    for expired in (case_id, revoked_case):
        case, status = await state(svc, expired)
        assert status is CaseStatus.EXPIRED and case.outcome == "expired"
    _, status = await state(svc, answered)
    assert status is CaseStatus.AWAITING_CONSENT
    assert "will not take place" in (await mails(svc.db, "dana@example.org"))[-1].body_text
    assert "will not take place" in (await mails(svc.db, "paul@example.org"))[-1].body_text
    with pytest.raises(Invalid):
        await svc.invitation_info(token)


async def test_optional_notices_respect_the_users_choice(svc: CaseService, db: Database) -> None:
    quiet = await add_user(db, "quiet", notify_optional=False)
    other = await add_user(db, "other")
    case_id, token = await open_case(svc, quiet, other_email="other@example.org")
    await svc.accept_invitation(other, token)
    async with svc.units.begin() as unit:
        sent = await unit.notify(case_id, Notice(lambda t: ("Optional", ("p",))), optional=True)
        required = await unit.notify(
            case_id, Notice(lambda t: ("Required", ("p",))), optional=False
        )
    assert (sent, required) == (1, 2)
    assert [m.subject for m in await mails(db, "quiet@example.org")] == ["Required"]


async def test_attorneys_and_observers_join_and_leave_as_events_everyone_sees(
    svc: CaseService, db: Database, people: People
) -> None:
    case_id = await in_mediation(svc, people.paul, people.dana, people.mia, people.admin)
    lawyer = await add_user(db, "lawyer", verified=False)
    with pytest.raises(Forbidden):
        await svc.invite_attorney(people.mia, case_id, "lawyer@example.org", "L")
    await svc.invite_attorney(people.dana, case_id, "lawyer@example.org", "Lee Lawyer")
    await svc.accept_invitation(lawyer, await last_token(db, "lawyer@example.org"))
    assert people.max.id is not None and lawyer.id is not None and people.eve.id is not None
    with pytest.raises(Invalid):
        await svc.add_observer(people.mia, case_id, people.eve.id)  # not a mediator
    with pytest.raises(Forbidden):
        await svc.add_observer(people.paul, case_id, people.max.id)
    await svc.add_observer(people.mia, case_id, people.max.id)
    async with db.session() as s:
        assert await actor_for(s, case_id, people.max) == Actor(
            people.max.id, Role.OBSERVER, None, approved=False
        )
    await svc.approve_observer(people.mia, case_id, people.max.id)
    await svc.remove_participant(people.dana, case_id, lawyer.id)
    async with db.session() as s:
        assert await actor_for(s, case_id, lawyer) is None
        assert await actor_for(s, case_id, people.max) == Actor(people.max.id, Role.OBSERVER)
        assert case_id in await user_case_ids(s, people.max.id)
        assert case_id not in await user_case_ids(s, lawyer.id)
    assert feed(svc).types(case_id)[-4:] == [
        "case.participant_added",
        "case.participant_added",
        "case.observer_approved",
        "case.participant_removed",
    ]
    detail = await svc.detail(people.paul, case_id)
    roles = {p["display_name"]: (p["role"], p["duties"]) for p in detail["participants"]}
    assert roles["Max"][0] == "observer" and "training" in roles["Max"][1]
    assert "Lawyer" not in roles


async def test_outsiders_get_not_found_and_admin_views_are_audited(
    svc: CaseService, people: People
) -> None:
    case_id, _ = await open_case(svc, people.paul)
    calls = [
        svc.detail(people.eve, case_id),
        svc.consent(people.eve, case_id, AGREEMENT_TO_MEDIATE_VERSION),
        svc.opt_out(people.eve, case_id, None),
        svc.record_impasse(people.eve, case_id),
        svc.resend_invitation(people.eve, case_id),
        svc.revoke_invitation(people.eve, case_id),
        svc.invite_attorney(people.eve, case_id, "x@example.org", "X"),
        svc.remove_participant(people.eve, case_id, people.paul.id or 0),
        svc.detail(people.paul, case_id + 1000),
    ]
    for call in calls:
        with pytest.raises(NotFound):
            await call
    detail = await svc.detail(people.admin, case_id)
    assert detail["my_role"] == "admin" and detail["participants"][0]["email"]
    paul_view = await svc.detail(people.paul, case_id)
    assert paul_view["invitation"]["email"] == "dana@example.org"
    async with svc.db.session() as s:
        (entry,) = await audit.entries(s, case_id=case_id)
        assert await actor_for(s, case_id, people.eve) is None
    assert (entry.action, entry.actor_user_id) == ("case.viewed", people.admin.id)


async def test_racing_outcomes_serialise_on_the_case_row(svc: CaseService, people: People) -> None:
    case_id = await in_mediation(svc, people.paul, people.dana, people.mia, people.admin)
    results = await asyncio.gather(
        svc.opt_out(people.paul, case_id, None),
        svc.record_impasse(people.mia, case_id),
        svc.opt_out(people.dana, case_id, None),
        return_exceptions=True,
    )
    failures = [r for r in results if isinstance(r, OdrError)]
    assert len(failures) == 2 and all(f.detail_code == "wrong_state" for f in failures)
    assert sum(r is None for r in results) == 1
    closed = [t for t in feed(svc).types(case_id) if t == "case.closed"]
    assert closed == ["case.closed"]


async def test_the_state_rebuilt_from_rows_matches_each_step(
    svc: CaseService, people: People
) -> None:
    case_id = await in_mediation(svc, people.paul, people.dana, people.mia, people.admin)
    async with svc.db.session() as s:
        case = await load_case(s, case_id)
        assert case is not None
        rebuilt = state_of(case, await participants_of(s, case_id), await consents_of(s, case_id))
        rows = (await s.exec(select(Participant).where(col(Participant.case_id) == case_id))).all()
    assert rebuilt.joined == {Side.PLAINTIFF, Side.DEFENDANT}
    assert rebuilt.mediator_id == people.mia.id and rebuilt.co_mediator_id is None
    assert set(rebuilt.consents) == {Side.PLAINTIFF, Side.DEFENDANT}
    assert {a.role for a in rebuilt.participants} == {Role.PARTY}
    assert len(rows) == 3  # two parties and the mediator's seat


async def test_the_background_loop_expires_invitations_until_cancelled(
    svc: CaseService, people: People
) -> None:
    case_id, _ = await open_case(svc, people.paul)
    async with svc.db.session() as s:
        inv = (await s.exec(select(Invitation))).one()
        inv.expires_at = utcnow() - timedelta(seconds=1)
        s.add(inv)
    loop = asyncio.get_running_loop().create_task(svc.run())
    try:
        async with asyncio.timeout(10):
            await feed(svc).closed.wait()
    finally:
        loop.cancel()
    with pytest.raises(asyncio.CancelledError):
        await loop
    _, status = await state(svc, case_id)
    assert status is CaseStatus.EXPIRED
    assert feed(svc).flushes >= 2  # after the opening and after the expiry commits


async def test_neutrals_see_each_participants_language_and_parties_do_not(
    svc: CaseService, people: People
) -> None:
    """Chat is never translated, so the mediator and admins see who reads which language."""
    case_id = await in_mediation(svc, people.paul, people.dana, people.mia, people.admin)
    async with svc.db.session() as s:
        dana = await s.get(type(people.dana), people.dana.id)
        assert dana is not None
        dana.language = "es"
    for neutral in (people.mia, people.admin):
        seen = {
            p["user_id"]: p["language"]
            for p in (await svc.detail(neutral, case_id))["participants"]
        }
        assert seen[people.dana.id] == "es" and seen[people.paul.id] == "en"
    paul_view = await svc.detail(people.paul, case_id)
    assert {p["language"] for p in paul_view["participants"]} == {None}
