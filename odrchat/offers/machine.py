"""Offer negotiation: who may answer an offer, and what each answer does to it."""

# Rules
# -----
# * An offer is made by a party or attorney for their side, or by the mediator or co-mediator
#   (a "mediator's proposal", maker_side None). Observers and admins never make or answer offers.
#   A deadline, if given, must be timezone-aware and in the future.
# * A party offer may be accepted, rejected or countered only by the receiving side: the party of
#   the other side or that party's attorney. The maker's side can never accept its own offer, and
#   mediators cannot accept or reject a party's offer (decision-making rests with the parties).
# * A mediator's proposal needs BOTH sides: each side's accept is recorded in `accepted_by` and the
#   offer stays proposed until both have accepted. A side that has not yet accepted may reject or
#   counter it instead; a side that has accepted is bound (a second answer is a conflict).
# * Rejecting needs a reason of 10 to 1000 characters ("just saying no doesn't help") and,
#   optionally, a code from REJECT_CODES.
# * Only the maker (the same user) may withdraw, and only while the offer is proposed.
# * Expire happens only once a deadline is set and now >= deadline. Any actor may deliver it: it is
#   a fact of time, not anyone's decision. A past-deadline offer can no longer be answered.
# * Every move is legal only from PROPOSED (see TRANSITIONS). Acting on an offer that has left
#   PROPOSED raises OfferError("conflict"): that is what the loser of a race gets. Permission
#   failures raise OfferError("not_allowed"); bad input raises OfferError("invalid").
#   An illegal move raises and changes nothing; offers are immutable values.
# * An offer becoming ACCEPTED also emits AgreementReached: the agreement machine takes over.
#
# Known gaps: the machine sees one offer at a time. Whether a side may have two open offers at once,
# and closing sibling offers when one is accepted, are the coordinator's job.

from __future__ import annotations

import dataclasses
import enum
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import TypeAlias

from odrchat.cases.roles import Actor, Role, Side
from odrchat.offers.terms import Terms

REJECT_CODES = frozenset({"amount", "timing", "terms", "other"})
REASON_MIN, REASON_MAX = 10, 1000
EXPLANATION_MAX = 2000
_STATUS_HINTS = {"conflict": 409, "not_allowed": 403, "invalid": 422}


class OfferStatus(enum.StrEnum):
    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    COUNTERED = "countered"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"


def N_(message: str) -> str:
    """Marks a catalog text (odrchat.i18n extracts every N_ call); this module stays pure."""
    return message


class OfferError(Exception):
    """A refused move; `code` is "conflict", "not_allowed" or "invalid"."""

    def __init__(self, code: str, reason: str, **params: object) -> None:
        self.code = code
        self.template = reason  # the catalog's msgid; `params` fill its {names}
        self.params = params
        self.reason = reason.format(**params) if params else reason
        super().__init__(f"{code}: {self.reason}")

    @property
    def status_hint(self) -> int:
        return _STATUS_HINTS.get(self.code, 400)


# Why an offer that is no longer open cannot be answered (no status word goes untranslated).
_SETTLED = {
    OfferStatus.PROPOSED: N_("this offer is still open"),
    OfferStatus.ACCEPTED: N_("this offer was already accepted"),
    OfferStatus.REJECTED: N_("this offer was already turned down"),
    OfferStatus.COUNTERED: N_("this offer was already answered with a counter-offer"),
    OfferStatus.WITHDRAWN: N_("this offer was withdrawn"),
    OfferStatus.EXPIRED: N_("this offer has expired"),
}


@dataclass(frozen=True, slots=True)
class Offer:
    id: int
    maker_user_id: int
    maker_side: Side | None  # None: a mediator's proposal
    terms: Terms
    status: OfferStatus = OfferStatus.PROPOSED
    explanation: str = ""
    answers_offer_id: int | None = None
    deadline: datetime | None = None
    accepted_by: frozenset[Side] = frozenset()
    reject_reason: str = ""
    reject_code: str | None = None


@dataclass(frozen=True, slots=True)
class Accept:
    pass


@dataclass(frozen=True, slots=True)
class Reject:
    reason: str
    code: str | None = None


@dataclass(frozen=True, slots=True)
class Counter:
    new_offer_id: int


@dataclass(frozen=True, slots=True)
class Withdraw:
    pass


@dataclass(frozen=True, slots=True)
class Expire:
    now: datetime


Command: TypeAlias = Accept | Reject | Counter | Withdraw | Expire


@dataclass(frozen=True, slots=True)
class OfferMade:
    offer_id: int
    maker_side: Side | None
    answers_offer_id: int | None


@dataclass(frozen=True, slots=True)
class OfferAccepted:
    offer_id: int
    by: Side


@dataclass(frozen=True, slots=True)
class OfferRejected:
    offer_id: int
    by: Side
    reason: str
    code: str | None


@dataclass(frozen=True, slots=True)
class OfferCountered:
    offer_id: int
    by: Side
    new_offer_id: int


@dataclass(frozen=True, slots=True)
class OfferWithdrawn:
    offer_id: int


@dataclass(frozen=True, slots=True)
class OfferExpired:
    offer_id: int


@dataclass(frozen=True, slots=True)
class AgreementReached:
    offer_id: int
    terms: Terms


Event: TypeAlias = (
    OfferMade
    | OfferAccepted
    | OfferRejected
    | OfferCountered
    | OfferWithdrawn
    | OfferExpired
    | AgreementReached
)

# Every legal move starts from PROPOSED. Accepting a mediator's proposal reaches ACCEPTED only
# once both sides have accepted; until then it stays PROPOSED (see apply).
TRANSITIONS: dict[tuple[OfferStatus, type[Command]], OfferStatus] = {
    (OfferStatus.PROPOSED, Accept): OfferStatus.ACCEPTED,
    (OfferStatus.PROPOSED, Reject): OfferStatus.REJECTED,
    (OfferStatus.PROPOSED, Counter): OfferStatus.COUNTERED,
    (OfferStatus.PROPOSED, Withdraw): OfferStatus.WITHDRAWN,
    (OfferStatus.PROPOSED, Expire): OfferStatus.EXPIRED,
}


def can_answer(offer: Offer, actor: Actor) -> bool:
    """Whether the actor is on a side that may accept, reject or counter this offer."""
    if not actor.role.has_side or actor.side is None:
        return False
    if offer.maker_side is None:
        return actor.side not in offer.accepted_by
    return actor.side is offer.maker_side.other


def apply(offer: Offer, command: Command, actor: Actor, now: datetime) -> tuple[Offer, list[Event]]:
    """Apply one command to an offer; return the new offer and the events it caused."""
    _check_permission(offer, command, actor)
    target = TRANSITIONS.get((offer.status, type(command)))
    if target is None:
        raise OfferError("conflict", _SETTLED[offer.status])
    if isinstance(command, Expire):
        if offer.deadline is None or command.now < offer.deadline:
            raise OfferError("not_allowed", N_("this offer's deadline has not passed"))
        return _moved(offer, target), [OfferExpired(offer.id)]
    if offer.deadline is not None and now >= offer.deadline:
        raise OfferError("conflict", N_("this offer's deadline has passed"))
    if isinstance(command, Withdraw):
        return _moved(offer, target), [OfferWithdrawn(offer.id)]
    assert actor.side is not None  # _check_permission: only parties and attorneys answer
    side = actor.side
    if side in offer.accepted_by:
        raise OfferError("conflict", N_("your side has already accepted this proposal"))
    if isinstance(command, Reject):
        reason = _check_reason(command)
        rejected = dataclasses.replace(
            offer, status=target, reject_reason=reason, reject_code=command.code
        )
        return rejected, [OfferRejected(offer.id, side, reason, command.code)]
    if isinstance(command, Counter):
        return _moved(offer, target), [OfferCountered(offer.id, side, command.new_offer_id)]
    accepted_by = offer.accepted_by | {side}
    done = offer.maker_side is not None or accepted_by == frozenset(Side)
    status = target if done else offer.status
    accepted = dataclasses.replace(offer, status=status, accepted_by=accepted_by)
    events: list[Event] = [OfferAccepted(offer.id, side)]
    if done:
        events.append(AgreementReached(offer.id, offer.terms))
    return accepted, events


def _check_permission(offer: Offer, command: Command, actor: Actor) -> None:
    if isinstance(command, Expire):
        return
    if isinstance(command, Withdraw):
        if actor.user_id != offer.maker_user_id or not _may_make(actor):
            raise OfferError("not_allowed", N_("only the person who made an offer may withdraw it"))
        return
    if actor.role.has_side and actor.side is not None and offer.maker_side is not None:
        if actor.side is offer.maker_side:
            raise OfferError("not_allowed", N_("this is your side's own offer"))
        return
    if actor.role.has_side:
        return  # a mediator's proposal: either side answers, once (a repeat is a conflict)
    raise OfferError("not_allowed", N_("only the parties and their attorneys answer offers"))


def _check_reason(command: Reject) -> str:
    reason = command.reason.strip()
    if not REASON_MIN <= len(reason) <= REASON_MAX:
        raise OfferError(
            "invalid",
            N_(
                "explain why in {min} to {max} characters: just saying no doesn't help the "
                "other side come up with something better"
            ),
            min=REASON_MIN,
            max=REASON_MAX,
        )
    if _has_control(reason):
        raise OfferError("invalid", N_("the reason must not contain control characters"))
    if command.code is not None and command.code not in REJECT_CODES:
        raise OfferError(
            "invalid",
            N_("reject code must be one of: {choices}"),
            choices=", ".join(sorted(REJECT_CODES)),
        )
    return reason


def _moved(offer: Offer, status: OfferStatus) -> Offer:
    return dataclasses.replace(offer, status=status)


def _may_make(actor: Actor) -> bool:
    return actor.role in (Role.PARTY, Role.ATTORNEY, Role.MEDIATOR, Role.CO_MEDIATOR)


def _has_control(text: str) -> bool:
    return any(unicodedata.category(c) == "Cc" and c not in "\n\t" for c in text)


def validate_new_offer(
    maker: Actor,
    *,
    now: datetime,
    deadline: datetime | None = None,
    explanation: str = "",
    answers: Offer | None = None,
) -> Side | None:
    """Check that `maker` may make this offer; return its maker_side (None: mediator's proposal)."""
    if not _may_make(maker):
        raise OfferError("not_allowed", N_("only parties, attorneys and mediators make offers"))
    if deadline is not None:
        if deadline.tzinfo is None or now.tzinfo is None:
            raise OfferError("invalid", N_("deadlines must carry a time zone"))
        if deadline <= now:
            raise OfferError("invalid", N_("the deadline must be in the future"))
    if len(explanation) > EXPLANATION_MAX or _has_control(explanation):
        raise OfferError(
            "invalid",
            N_("the explanation must be plain text of at most {max} characters"),
            max=EXPLANATION_MAX,
        )
    if answers is not None:
        if not maker.role.has_side:
            raise OfferError(
                "not_allowed", N_("mediators make fresh proposals, not counter-offers")
            )
        _check_permission(answers, Counter(0), maker)
        if answers.status is not OfferStatus.PROPOSED:
            raise OfferError("conflict", _SETTLED[answers.status])
        if answers.deadline is not None and now >= answers.deadline:
            raise OfferError("conflict", N_("that offer's deadline has passed"))
        if maker.side in answers.accepted_by:
            raise OfferError("conflict", N_("your side has already accepted that proposal"))
    return maker.side


def make_offer(
    offer_id: int,
    maker: Actor,
    terms: Terms,
    *,
    now: datetime,
    explanation: str = "",
    deadline: datetime | None = None,
    answers: Offer | None = None,
) -> tuple[Offer, list[Event]]:
    """Build a new proposed offer after validate_new_offer; a counter also needs apply(Counter)."""
    side = validate_new_offer(
        maker, now=now, deadline=deadline, explanation=explanation, answers=answers
    )
    answers_id = answers.id if answers is not None else None
    offer = Offer(
        id=offer_id,
        maker_user_id=maker.user_id,
        maker_side=side,
        terms=terms,
        explanation=explanation.strip(),
        answers_offer_id=answers_id,
        deadline=deadline,
    )
    return offer, [OfferMade(offer_id, side, answers_id)]
