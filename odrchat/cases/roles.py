"""Who takes part in a case and on which side.

Pure vocabulary shared by the case machine, the room access rule, the offer machine and the
agreement machine. No I/O.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Side(enum.StrEnum):
    """The two sides of a dispute. Community cases call them filing and responding party."""

    PLAINTIFF = "plaintiff"
    DEFENDANT = "defendant"

    @property
    def other(self) -> Side:
        return Side.DEFENDANT if self is Side.PLAINTIFF else Side.PLAINTIFF


class Role(enum.StrEnum):
    """A participant's role in one case (the FAQ's "Who participates in ODR?")."""

    PARTY = "party"  # plaintiff or defendant, by `side`
    ATTORNEY = "attorney"  # acts with or for the party of `side`
    MEDIATOR = "mediator"
    CO_MEDIATOR = "co_mediator"
    OBSERVER = "observer"  # mediator in training: reads, never writes, needs approval
    ADMIN = "admin"  # CCR administration

    @property
    def is_neutral(self) -> bool:
        """Mediator-side roles that belong to neither party."""
        return self in NEUTRAL_ROLES

    @property
    def has_side(self) -> bool:
        return self in (Role.PARTY, Role.ATTORNEY)


NEUTRAL_ROLES = frozenset({Role.MEDIATOR, Role.CO_MEDIATOR, Role.OBSERVER, Role.ADMIN})


@dataclass(frozen=True, slots=True)
class Actor:
    """One participant as the pure rules see them: a role, a side for parties and attorneys,
    and, for observers, whether the mediator approved them."""

    user_id: int
    role: Role
    side: Side | None = None
    approved: bool = True

    @classmethod
    def stored(cls, user_id: int, role: str, side: str | None, approved: bool = True) -> Actor:
        """The actor of a participant's columns as read from the database (no model built:
        validating one per row was what blocked the away-notice sweep)."""
        return cls(user_id, Role(role), Side(side) if side else None, bool(approved))

    def __post_init__(self) -> None:
        if self.role.has_side and self.side is None:
            raise ValueError(f"a {self.role} needs a side")
        if not self.role.has_side and self.side is not None:
            raise ValueError(f"a {self.role} has no side")
