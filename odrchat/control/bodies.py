"""Request and response bodies of the mediator's room controls and of relays."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from odrchat.bodies import Body, Flag, Id, Int, Reply, Text, Timestamp
from odrchat.control.relay import MAX_TEXT, RelayStatus
from odrchat.control.service import MAX_MUTE_MINUTES

Reason = Annotated[str, Text(500, min_length=1, multiline=True)]


class CaucusBody(Body):
    on: Annotated[bool, Flag()] = Field(description="true: caucus-only mediation")
    reason: Annotated[str, Text(500, multiline=True)] | None = Field(
        default=None,
        description="why it can end; required to switch off a mode forced by a safety concern "
        "(kept in the audit log only)",
    )


class PauseBody(Body):
    paused: Annotated[bool, Flag()] = Field(description="true: pause; false: resume")


class MuteBody(Body):
    user_id: Id
    minutes: Annotated[int, Int(0, MAX_MUTE_MINUTES)] = Field(
        description="how long the mute lasts; 0 lifts it"
    )


class RemoveBody(Body):
    user_id: Id
    reason: Reason = Field(description="kept in the audit log only")


class ReadmitBody(Body):
    user_id: Id


class HideBody(Body):
    reason: Reason = Field(description="kept in the audit log only")


class RelayBody(Body):
    seq: Annotated[int, Int(1, 2**31 - 1)] | None = Field(
        default=None, description="the chat message of this private room to relay"
    )
    offer_id: Id | None = Field(default=None, description="or the offer to summarise")
    text: Annotated[str, Text(MAX_TEXT, min_length=1, multiline=True)] | None = Field(
        default=None, description="the mediator's rephrasing (no consent is then asked for)"
    )


class ApproveBody(Body):
    text: Annotated[str, Text(MAX_TEXT, min_length=1, multiline=True)] | None = Field(
        default=None, description="the mediator's rephrasing, if any"
    )


class Mute(Reply):
    user_id: int
    until: Timestamp


class ControlState(Reply):
    caucus: bool
    safety: bool = Field(description="caucus-only mode was forced by a safety concern")
    paused: bool
    muted: list[Mute]
    removed: list[int] = Field(description="user ids out of the joint room")


class RelayReply(Reply):
    id: int
    room: int = Field(description="the private room the words come from")
    side: str
    source_seq: int | None
    offer_id: int | None
    text: str
    own_words: bool = Field(description="the party's words as written (their consent is asked)")
    status: RelayStatus
    target_room: int | None = Field(description="where the copy was posted, once shared")
    target_seq: int | None
