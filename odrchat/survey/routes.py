"""The survey's two endpoints: is this link still open, and answer it (no login: the one-time
token from the email is the key)."""

from __future__ import annotations

from odrchat.api import Call, Endpoint
from odrchat.store.types import utcnow
from odrchat.survey import service
from odrchat.survey.bodies import SurveyBody, SurveyState

__all__ = ["ENDPOINTS"]


async def get_survey(call: Call[None]) -> SurveyState:
    """Whether the survey link (`#/survey/<token>`) may still be answered."""
    return SurveyState(state=await service.state(call.services.db, call.params["token"], utcnow()))


async def answer_survey(call: Call[SurveyBody]) -> SurveyState:
    """Answer the survey once; the answer is stored without the case or the person."""
    b = call.body
    scores = service.Scores(b.heard, b.neutral, b.clear, b.again, b.comment)
    await service.answer(
        call.services.db, call.params["token"], scores, utcnow(), call.services.settings.tz
    )
    return SurveyState(state="answered")


ENDPOINTS = (
    Endpoint(
        "GET",
        "/api/surveys/{token}",
        get_survey,
        "Read a survey link's state",
        access="public",
        reply=SurveyState,
        responses=(422,),
        tag="survey",
    ),
    Endpoint(
        "POST",
        "/api/surveys/{token}",
        answer_survey,
        "Answer the satisfaction survey",
        access="public",
        body=SurveyBody,
        reply=SurveyState,
        responses=(409, 422),
        tag="survey",
    ),
)
