"""The survey's request and answers (GET and POST /api/surveys/{token})."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from odrchat.bodies import Body, Int, Reply, Text

Score = Annotated[int, Int(1, 5)]


class SurveyBody(Body):
    """One party's answer: each question from 1 (not at all) to 5 (completely), or left out."""

    heard: Score | None = Field(None, description="I was heard")
    neutral: Score | None = Field(None, description="the mediator was neutral")
    clear: Score | None = Field(None, description="the process was clear")
    again: Score | None = Field(None, description="I would use online mediation again")
    comment: Annotated[str, Text(1000, multiline=True)] = Field(
        "", description="one comment in the person's own words (never in the figures)"
    )


class SurveyState(Reply):
    state: Literal["open", "answered", "expired"]
