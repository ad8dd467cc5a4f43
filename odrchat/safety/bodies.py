"""Request and response bodies of the screening and "need help" endpoints."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from odrchat.bodies import Body, Choice, Flag, Id, Reply, Text, Timestamp
from odrchat.cases.roles import Side
from odrchat.safety.screening import NOTE_MAX, Order
from odrchat.safety.texts import HELP_REASONS

Bool = Annotated[bool, Flag()]


class ScreeningAnswers(Body):
    """A party's answers to the safety questions (confidential: see `ScreeningView`)."""

    order: Annotated[str, Choice(tuple(o.value for o in Order))] = Field(
        description="is there a restraining or protective order between the sides "
        '("unsure" counts as yes)'
    )
    afraid: Bool = Field(description="the party is afraid for their safety")
    support_person: Bool = Field(description="the party would like a support person")
    accommodation: Bool = Field(description="the party needs an accommodation")
    note: Annotated[str, Text(NOTE_MAX, multiline=True)] | None = Field(
        None, description="anything else the mediator should know"
    )


class ScreeningAnswer(Reply):
    user_id: int
    display_name: str
    side: Side
    order: Order
    afraid: bool
    support_person: bool
    accommodation: bool
    note: str | None
    flagged: bool = Field(description="an order exists (or may) or the party is afraid")
    answered_at: Timestamp


class ScreeningView(Reply):
    """A party sees only their own answers; the case's mediators and admins see every party's."""

    required: bool = Field(description="this case's parties answer before agreeing to mediate")
    flagged: bool | None = Field(description="mediators and admins: any answer flagged the case")
    answers: list[ScreeningAnswer]


class AskHelp(Body):
    """Which kind of help; never free text, so no words of the party leave the room."""

    reason: Annotated[str, Choice(tuple(HELP_REASONS))]
    room_id: Id | None = Field(None, description="the room the party pressed the button in")


class HelpReply(Reply):
    status: Literal["recorded"] = Field(
        description="stored, shown to the mediators, notices queued"
    )
    mediators_online: bool
    admins_told: bool = Field(description="no mediator was online, so CCR staff were told too")
    next_steps: list[str] = Field(description="what happens next, in plain words")
    emergency: str


class Handler(Reply):
    user_id: int
    name: str


class HelpRequestView(Reply):
    """One "need help" press, as the case's mediators and CCR administration see it."""

    id: int
    user_id: int
    name: str = Field(description="the party who asked")
    side: Side
    reason: str = Field(description="one of the reasons of `AskHelp`")
    at: Timestamp
    mediators_online: bool
    admins_told: bool
    handled_at: Timestamp | None = Field(description="null while the request is open")
    handled_by: Handler | None


class HelpRequests(Reply):
    requests: list[HelpRequestView] = Field(description="newest first, open and handled")
