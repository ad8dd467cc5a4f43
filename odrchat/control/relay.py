"""Relays: words from one side's private room carried to the other side by the mediator.

Pure rules (the standard library and the other pure modules only).

- A relay starts in one side's private room, from a chat message there or an offer's summary.
- The mediator shares it. Words the party wrote, shared as written, wait for that side's
  consent (the party or their attorney confirms); words the mediator rephrased (or an offer
  summary the mediator wrote) go at once.
- A party or attorney may propose a relay of their own side's words (or of the summary of an
  offer their side made); the mediator approves it (as written or rephrased) or declines it.
  Proposing is consent, so an approved proposal goes at once.
- The side may decline a relay waiting for its consent; the mediator may withdraw it.
- Once shared or declined, a relay is finished. The copy is marked as relayed by the mediator
  and carries only the relay id, the text and the side it came from: nothing else of the
  source room (no seq, no room id, no other message).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from typing import TypeAlias

from odrchat.cases.roles import Actor, Role, Side
from odrchat.control.machine import N_, ControlError, is_neutral

MAX_TEXT = 4000


class RelayStatus(enum.StrEnum):
    PROPOSED = "proposed"  # a party asked; the mediator decides
    AWAITING = "awaiting_consent"  # the mediator asked; the side confirms its own words
    SHARED = "shared"
    DECLINED = "declined"


@dataclass(frozen=True, slots=True)
class RelayState:
    side: Side  # whose private room the words come from
    text: str
    own_words: bool  # the party's words as written
    status: RelayStatus


@dataclass(frozen=True, slots=True)
class Approve:
    text: str | None = None  # the mediator's rephrasing, if any


@dataclass(frozen=True, slots=True)
class Confirm:
    pass


@dataclass(frozen=True, slots=True)
class Decline:
    pass


Command: TypeAlias = Approve | Confirm | Decline


def _of_side(actor: Actor, side: Side) -> bool:
    return actor.role in (Role.PARTY, Role.ATTORNEY) and actor.side is side


def _text(text: str) -> str:
    if not text.strip() or len(text) > MAX_TEXT:
        raise ControlError("bad_text", N_("The text must be 1 to {max} characters."), max=MAX_TEXT)
    return text


def start(side: Side, text: str, own_words: bool, actor: Actor) -> RelayState:
    """A new relay from `side`'s private room, asked for by `actor`."""
    text = _text(text)
    if is_neutral(actor):
        status = RelayStatus.AWAITING if own_words else RelayStatus.SHARED
        return RelayState(side, text, own_words, status)
    if _of_side(actor, side):
        return RelayState(side, text, own_words, RelayStatus.PROPOSED)
    raise ControlError("not_allowed", N_("Only the mediator or this side can relay these words."))


def decide(state: RelayState, command: Command, actor: Actor) -> RelayState:
    """Approve, confirm or decline a pending relay; raise ControlError if not allowed."""
    if state.status in (RelayStatus.SHARED, RelayStatus.DECLINED):
        raise ControlError("wrong_state", N_("This relay is already settled."))
    if isinstance(command, Approve):
        if not is_neutral(actor):
            raise ControlError("not_allowed", N_("Only the mediator approves a relay."))
        if state.status is not RelayStatus.PROPOSED:
            raise ControlError("wrong_state", N_("This relay waits for the side's consent."))
        if command.text is not None and command.text != state.text:
            return replace(
                state, text=_text(command.text), own_words=False, status=RelayStatus.SHARED
            )
        return replace(state, status=RelayStatus.SHARED)
    if isinstance(command, Confirm):
        if not _of_side(actor, state.side):
            raise ControlError("not_allowed", N_("Only the side whose words these are confirms."))
        if state.status is not RelayStatus.AWAITING:
            raise ControlError("wrong_state", N_("This relay waits for the mediator."))
        return replace(state, status=RelayStatus.SHARED)
    if is_neutral(actor) or (state.status is RelayStatus.AWAITING and _of_side(actor, state.side)):
        return replace(state, status=RelayStatus.DECLINED)
    raise ControlError("not_allowed", N_("Only the mediator can decline this relay."))
