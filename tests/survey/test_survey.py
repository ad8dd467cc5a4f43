"""The satisfaction survey: each party of a mediated case is asked once when it closes, one
answer per link, answers stored with nothing that leads back to the case or the person, and
the figures show averages (from 5 answers) but never a comment."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from datetime import timedelta

import pytest
from sqlalchemy import inspect
from sqlmodel import col, select

from odrchat.cases.service import CaseService
from odrchat.cases.unit import Units
from odrchat.errors import Conflict, Invalid
from odrchat.settings import Settings
from odrchat.store.db import Database
from odrchat.store.types import utcnow
from odrchat.survey import service
from odrchat.survey.tables import SurveyAnswer, SurveyInvitation
from tests.cases.world import PASSWORD, RecordingFeed, add_user, in_mediation, mails, staff
from tests.helpers import client_for, login, post, register

SURVEY = re.compile(r"#/survey/([A-Za-z0-9_\-]+)")
COMMENT = "COMMENT-Mia-was-kind-to-Dana"


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = Database(db_url)
    try:
        yield database
    finally:
        await database.dispose()


@pytest.fixture
def settings_for(make_settings: Callable[..., Settings], db_url: str) -> Settings:
    return make_settings(db_url)


@pytest.fixture
async def svc(db: Database, settings_for: Settings) -> CaseService:
    return CaseService(Units(settings_for, db, feed=RecordingFeed()))


async def survey_links(db: Database, to: str) -> list[str]:
    return [m for row in await mails(db, to) for m in SURVEY.findall(row.body_text)]


async def closed_case(db: Database, svc: CaseService, how: str) -> dict[str, object]:
    paul = await add_user(db, "paul", phone="+12135550100")
    dana = await add_user(db, "dana")
    mia = await add_user(db, "mia", staff="mediator")
    root = await add_user(db, "root", staff="admin")
    case_id = await in_mediation(svc, paul, dana, mia, root)
    if how == "impasse":
        await svc.record_impasse(mia, case_id)
    else:
        await svc.opt_out(dana, case_id, "no reason given")
    return {"case_id": case_id}


@pytest.mark.parametrize("how", ["impasse", "opted_out"])
async def test_each_party_is_sent_one_link_by_email_and_a_pointer_by_text(
    db: Database, svc: CaseService, how: str
) -> None:
    await closed_case(db, svc, how)
    for who in ("paul", "dana"):
        assert len(await survey_links(db, f"{who}@example.org")) == 1
    assert await survey_links(db, "mia@example.org") == []
    texts = [m for m in await mails(db, "+12135550100") if "survey" in m.body_text]
    assert len(texts) == 1
    # A text never carries the token: only the email does.
    assert not SURVEY.search(texts[0].body_text)
    async with db.read() as s:
        rows = (await s.exec(select(SurveyInvitation))).all()
    assert len(rows) == 2 and not any(r.answered for r in rows)


async def test_a_case_that_was_never_mediated_sends_no_survey(
    db: Database, svc: CaseService
) -> None:
    paul = await add_user(db, "paul")
    await add_user(db, "dana")
    from tests.cases.world import open_case

    case_id, token = await open_case(svc, paul)
    await svc.decline_invitation(token, None)
    async with db.read() as s:
        assert (await s.exec(select(SurveyInvitation))).all() == []
    assert case_id > 0


async def test_one_answer_per_link_and_nothing_links_it_back(
    db: Database, svc: CaseService, settings_for: Settings
) -> None:
    await closed_case(db, svc, "impasse")
    [token] = await survey_links(db, "paul@example.org")
    now = utcnow()
    assert await service.state(db, token, now) == "open"
    scores = service.Scores(5, 4, 3, 2, COMMENT)
    await service.answer(db, token, scores, now, settings_for.tz)
    assert await service.state(db, token, now) == "answered"
    with pytest.raises(Conflict) as again:
        await service.answer(db, token, scores, now, settings_for.tz)
    assert again.value.detail_code == "already_answered"
    with pytest.raises(Invalid):
        await service.state(db, "not-a-token", now)

    # The answer row: scores, comment, month, a random id; no case, user, invitation or time.
    columns = {c.name for c in inspect(SurveyAnswer).columns}
    assert columns == {"id", "heard", "neutral", "clear", "again", "comment", "month"}
    invitation_columns = {c.name for c in inspect(SurveyInvitation).columns}
    assert not invitation_columns & {"answered_at", "answer_id", "heard", "comment"}
    async with db.read() as s:
        [row] = (await s.exec(select(SurveyAnswer))).all()
        assert re.fullmatch(r"[0-9a-f]{32}", row.id)
        assert (row.heard, row.neutral, row.clear, row.again) == (5, 4, 3, 2)
        assert row.month == now.astimezone(settings_for.tz).strftime("%Y-%m")
        answered = (
            await s.exec(select(SurveyInvitation).where(col(SurveyInvitation.answered)))
        ).all()
        assert len(answered) == 1


async def test_an_expired_link_and_an_empty_answer_are_refused(
    db: Database, svc: CaseService, settings_for: Settings
) -> None:
    await closed_case(db, svc, "impasse")
    [token] = await survey_links(db, "dana@example.org")
    with pytest.raises(Invalid):
        await service.answer(db, token, service.Scores(None, None, None, None, "hi"), utcnow(),
                             settings_for.tz)  # fmt: skip
    later = utcnow() + service.SURVEY_TTL + timedelta(minutes=1)
    assert await service.state(db, token, later) == "expired"
    with pytest.raises(Conflict) as expired:
        await service.answer(db, token, service.Scores(3, 3, 3, 3, ""), later, settings_for.tz)
    assert expired.value.detail_code == "expired"


async def _answers(db: Database, tz: object, n: int, heard: int) -> None:
    async with db.session() as s:
        for i in range(n):
            s.add(
                SurveyAnswer(
                    id=f"{i:032x}",
                    heard=heard,
                    neutral=4,
                    clear=None,
                    again=5,
                    comment=f"{COMMENT} {i}",
                    month=utcnow().strftime("%Y-%m"),
                )
            )


def test_answering_through_the_api_then_the_figures_show_averages_but_no_comment(
    settings: Settings, db_url: str
) -> None:
    with client_for(settings) as c:
        db = c.app_state["services"].db
        c.portal.call(_answers, db, settings.tz, 5, 4)  # type: ignore[union-attr]
        staff(c, "root", "admin")
        # A link is answered without logging in: the token is the key.
        token = _link_for_a_closed_case(c, db)
        assert c.get(f"/api/surveys/{token}").json() == {"state": "open"}
        r = post(c, f"/api/surveys/{token}", {"heard": 1, "neutral": 2, "comment": COMMENT})
        assert r.status_code == 200, r.text
        assert r.json() == {"state": "answered"}
        twice = post(c, f"/api/surveys/{token}", {"heard": 1})
        assert twice.status_code == 409 and twice.json()["error"]["code"] == "already_answered"
        assert post(c, f"/api/surveys/{token}", {"heard": 6}).status_code in (409, 422)
        assert c.get("/api/surveys/nope").status_code == 422

        login(c, "root@example.org", PASSWORD)
        f = c.get("/api/admin/metrics")
        csv = c.get("/api/admin/metrics?format=csv")
    for text in (f.text, csv.text):
        assert "COMMENT" not in text and "Mia" not in text and "Dana" not in text
    survey = f.json()["survey"]
    assert survey["answers"] == 6
    by = {q["question"]: q for q in survey["questions"]}
    assert by["heard"] == {"question": "heard", "answers": 6, "average": round(21 / 6, 2)}
    assert by["neutral"]["answers"] == 6
    # Only the API answer said nothing about "clear", and 5 answers skipped it: nothing shown.
    assert by["clear"] == {"question": "clear", "answers": 0, "average": None}
    assert by["again"] == {"question": "again", "answers": 5, "average": 5.0}


def _link_for_a_closed_case(c: object, db: Database) -> str:
    from starlette.testclient import TestClient

    assert isinstance(c, TestClient)
    services = c.app_state["services"]

    async def close() -> str:
        svc: CaseService = services.cases
        paul = await add_user(db, "paul")
        dana = await add_user(db, "dana")
        mia = await add_user(db, "mia", staff="mediator")
        root = await add_user(db, "boss", staff="admin")
        case_id = await in_mediation(svc, paul, dana, mia, root)
        await svc.record_impasse(mia, case_id)
        [token] = await survey_links(db, "paul@example.org")
        return token

    token: str = c.portal.call(close)  # type: ignore[union-attr]
    return token


def test_administrators_read_the_comments_with_their_month_and_nobody_else_does(
    settings: Settings, db_url: str
) -> None:
    with client_for(settings) as c:
        db = c.app_state["services"].db
        c.portal.call(_answers, db, settings.tz, 3, 4)  # type: ignore[union-attr]
        token = _link_for_a_closed_case(c, db)
        assert post(c, f"/api/surveys/{token}", {"heard": 2, "comment": COMMENT}).status_code == 200
        post(c, f"/api/surveys/{_second_link(c, db)}", {"heard": 5})  # no comment: not listed
        staff(c, "root", "admin")
        staff(c, "moe", "mediator")
        register(c, db_url, "pam@example.org", "Pam")
        for who in ("moe@example.org", "pam@example.org"):
            login(c, who, PASSWORD)
            assert c.get("/api/admin/survey/comments").status_code == 403
        login(c, "root@example.org", PASSWORD)
        r = c.get("/api/admin/survey/comments")
        assert r.status_code == 200, r.text
        month = utcnow().astimezone(settings.tz).strftime("%Y-%m")
        listed = r.json()["comments"]
        assert sorted(x["comment"] for x in listed) == sorted(
            [COMMENT] + [f"{COMMENT} {i}" for i in range(3)]
        )
        assert {x["month"] for x in listed} == {month}
        assert all(set(x) == {"month", "comment"} for x in listed)  # never the scores beside it
        # A period before this month has none; the reading is in the audit log.
        assert c.get("/api/admin/survey/comments?until=2020-01-31").json() == {"comments": []}
        log = c.get("/api/admin/audit?action=survey.").json()
    assert [e["action"] for e in log["entries"]][:2] == ["survey.comments_read"] * 2


def _second_link(c: object, db: Database) -> str:
    """Dana's survey link of the case `_link_for_a_closed_case` closed."""
    from starlette.testclient import TestClient

    assert isinstance(c, TestClient)

    async def link() -> str:
        [token] = await survey_links(db, "dana@example.org")
        return token

    token: str = c.portal.call(link)  # type: ignore[union-attr]
    return token
