"""HTTP endpoints for the safety screening and the "need help" button. Thin: `SafetyService`
decides who may do what (outsiders get 404, seats that may not get 403)."""

from __future__ import annotations

from typing import Any

from odrchat.api import Call, Endpoint
from odrchat.auth.tables import User
from odrchat.errors import Invalid, Say
from odrchat.i18n import N_
from odrchat.safety import bodies as b
from odrchat.safety import texts
from odrchat.safety.screening import ScreeningError, answers_of


def _me(call: Call[Any]) -> User:
    assert call.current is not None
    return call.current.user


def _case_id(call: Call[Any]) -> int:
    return int(call.params["case_id"])


async def read_screening(call: Call[None]) -> b.ScreeningView:
    """The screening answers I may see (mine, or every party's for the case's mediators)."""
    view = await call.services.safety.read(_me(call), _case_id(call))
    return b.ScreeningView.model_validate(view)


async def answer_screening(call: Call[b.ScreeningAnswers]) -> b.ScreeningView:
    """Answer (or answer again) the confidential safety questions, as a party."""
    body = call.body
    try:
        answers = answers_of(
            body.order, body.afraid, body.support_person, body.accommodation, body.note
        )
    except ScreeningError as exc:
        fields = {k: Say(v, exc.values.get(k)) for k, v in exc.fields.items()}
        raise Invalid(N_("Some fields need attention."), fields=fields) from None
    view = await call.services.safety.answer(_me(call), _case_id(call), answers)
    return b.ScreeningView.model_validate(view)


async def ask_help(call: Call[b.AskHelp]) -> b.HelpReply:
    """Tell the mediators (or CCR staff) that I need help; the other side is not told."""
    done = await call.services.safety.ask_help(
        _me(call), _case_id(call), call.body.reason, call.body.room_id
    )
    t = call.texts
    return b.HelpReply(
        status="recorded",
        mediators_online=done["mediators_online"],
        admins_told=done["admins_told"],
        next_steps=texts.help_next_steps(t, done["mediators_online"], done["has_mediator"]),
        emergency=t.gettext(texts.EMERGENCY),
    )


async def list_help(call: Call[None]) -> b.HelpRequests:
    """The case's help requests, open and handled (its mediators and CCR administration)."""
    found = await call.services.safety.help_requests(_me(call), _case_id(call))
    return b.HelpRequests.model_validate({"requests": found})


async def handle_help(call: Call[None]) -> b.HelpRequestView:
    """Mark a help request as handled (who and when are recorded and audited)."""
    done = await call.services.safety.handle_help(
        _me(call), _case_id(call), int(call.params["help_id"])
    )
    return b.HelpRequestView.model_validate(done)


CASE = "/api/cases/{case_id:int}"
ENDPOINTS = (
    Endpoint(
        "GET",
        CASE + "/screening",
        read_screening,
        "Read the safety screening",
        reply=b.ScreeningView,
        responses=(403, 404),
        tag="safety",
    ),
    Endpoint(
        "POST",
        CASE + "/screening",
        answer_screening,
        "Answer the safety screening (party)",
        body=b.ScreeningAnswers,
        reply=b.ScreeningView,
        responses=(403, 404, 409),
        tag="safety",
    ),
    Endpoint(
        "POST",
        CASE + "/help",
        ask_help,
        "Ask the mediator for help (party)",
        body=b.AskHelp,
        reply=b.HelpReply,
        responses=(403, 404, 429),
        tag="safety",
    ),
    Endpoint(
        "GET",
        CASE + "/help",
        list_help,
        "List the case's help requests (mediators, administrators)",
        reply=b.HelpRequests,
        responses=(403, 404),
        tag="safety",
    ),
    Endpoint(
        "POST",
        CASE + "/help/{help_id:int}/handled",
        handle_help,
        "Mark a help request as handled (mediators, administrators)",
        reply=b.HelpRequestView,
        responses=(403, 404, 409),
        tag="safety",
    ),
)
