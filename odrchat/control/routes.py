"""HTTP endpoints of the mediator's room controls and of relays. Thin: each calls
`ControlService`, which decides; anything about a case the caller is not in answers 404."""

from __future__ import annotations

from typing import Any

from odrchat.api import Call, Endpoint
from odrchat.auth.tables import User
from odrchat.control import relay as r
from odrchat.control.bodies import (
    ApproveBody,
    CaucusBody,
    ControlState,
    HideBody,
    MuteBody,
    PauseBody,
    ReadmitBody,
    RelayBody,
    RelayReply,
    RemoveBody,
)
from odrchat.control.service import ControlService


def _control(call: Call[Any]) -> ControlService:
    return call.services.control


def _me(call: Call[Any]) -> User:
    assert call.current is not None
    return call.current.user


def _case(call: Call[Any]) -> int:
    return int(call.params["case_id"])


async def set_caucus(call: Call[CaucusBody]) -> ControlState:
    """Switch caucus-only mediation on or off."""
    state = await _control(call).set_caucus(
        _case(call), call.body.on, _me(call), call.body.reason or None
    )
    return ControlState.model_validate(state)


async def set_pause(call: Call[PauseBody]) -> ControlState:
    """Pause or resume the joint conversation."""
    state = await _control(call).pause(_me(call), _case(call), call.body.paused)
    return ControlState.model_validate(state)


async def mute(call: Call[MuteBody]) -> ControlState:
    """Mute a participant in the joint conversation for a while (0 minutes: unmute)."""
    body = call.body
    state = await _control(call).mute(_me(call), _case(call), body.user_id, body.minutes)
    return ControlState.model_validate(state)


async def remove(call: Call[RemoveBody]) -> ControlState:
    """Take a participant out of the joint conversation, saying why."""
    body = call.body
    state = await _control(call).remove(_me(call), _case(call), body.user_id, body.reason)
    return ControlState.model_validate(state)


async def readmit(call: Call[ReadmitBody]) -> ControlState:
    """Let a removed participant back into the joint conversation."""
    state = await _control(call).readmit(_me(call), _case(call), call.body.user_id)
    return ControlState.model_validate(state)


async def hide(call: Call[HideBody]) -> ControlState:
    """Hide a message from the parties' view (kept in the record)."""
    state = await _control(call).hide(
        _me(call), int(call.params["room_id"]), int(call.params["seq"]), call.body.reason
    )
    return ControlState.model_validate(state)


async def share(call: Call[RelayBody]) -> RelayReply:
    """Share a private-room message or an offer summary with the other side (mediator), or
    propose it (the party)."""
    body = call.body
    relay = await _control(call).share(
        _me(call),
        int(call.params["room_id"]),
        seq=body.seq,
        offer_id=body.offer_id,
        text=body.text,
    )
    return RelayReply.model_validate(relay)


async def approve(call: Call[ApproveBody]) -> RelayReply:
    """The mediator approves a party's relay, as written or rephrased."""
    command = r.Approve(call.body.text)
    relay = await _control(call).decide(_me(call), int(call.params["relay_id"]), command)
    return RelayReply.model_validate(relay)


async def confirm(call: Call[None]) -> RelayReply:
    """The side whose words these are agrees to the relay."""
    relay = await _control(call).decide(_me(call), int(call.params["relay_id"]), r.Confirm())
    return RelayReply.model_validate(relay)


async def decline(call: Call[None]) -> RelayReply:
    """Decline (the side or the mediator) or withdraw (the mediator) a pending relay."""
    relay = await _control(call).decide(_me(call), int(call.params["relay_id"]), r.Decline())
    return RelayReply.model_validate(relay)


CASE = "/api/cases/{case_id:int}/control"
RELAY = "/api/relays/{relay_id:int}"
ANSWER = (403, 404, 409)


def _ep(path: str, handler: Any, summary: str, body: Any, reply: Any, tag: str) -> Endpoint:
    return Endpoint(
        "POST", path, handler, summary, body=body, reply=reply, responses=ANSWER, tag=tag
    )


ENDPOINTS = (
    _ep(
        CASE + "/caucus",
        set_caucus,
        "Caucus-only mediation on or off",
        CaucusBody,
        ControlState,
        "control",
    ),
    _ep(
        CASE + "/pause",
        set_pause,
        "Pause or resume the joint conversation",
        PauseBody,
        ControlState,
        "control",
    ),
    _ep(CASE + "/mute", mute, "Mute or unmute a participant", MuteBody, ControlState, "control"),
    _ep(
        CASE + "/remove",
        remove,
        "Remove a participant from the joint conversation",
        RemoveBody,
        ControlState,
        "control",
    ),
    _ep(
        CASE + "/readmit",
        readmit,
        "Readmit a participant to the joint conversation",
        ReadmitBody,
        ControlState,
        "control",
    ),
    _ep(
        "/api/rooms/{room_id:int}/messages/{seq:int}/hide",
        hide,
        "Hide a message from the parties' view",
        HideBody,
        ControlState,
        "control",
    ),
    Endpoint(
        "POST",
        "/api/rooms/{room_id:int}/relays",
        share,
        "Relay private-room words to the other side",
        body=RelayBody,
        reply=RelayReply,
        status=201,
        responses=ANSWER,
        tag="relays",
    ),
    _ep(RELAY + "/approve", approve, "Approve a party's relay", ApproveBody, RelayReply, "relays"),
    _ep(RELAY + "/confirm", confirm, "Agree to relay my words", None, RelayReply, "relays"),
    _ep(RELAY + "/decline", decline, "Decline or withdraw a relay", None, RelayReply, "relays"),
)
