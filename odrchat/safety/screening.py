"""Safety screening: which cases ask it, what a party answers, and which answers flag a case.

Rules
-----
* Each party of a case where screening is required answers a short, confidential set of
  questions before they can accept the agreement to mediate (the case machine refuses the
  consent otherwise), so the joint room, which opens only once both sides consented and a
  mediator is assigned, never opens for a party who was not screened.
* Civil harassment cases always ask. Small claims, unlawful detainer and community cases ask
  when the centre lists their kind in SCREENING_KINDS (none by default). Small claims are
  usually about money between people who deal with each other at arm's length, so the centre
  decides; the "need help" button in every room stays there for any case that turns unsafe.
* A party may answer again while the case is open (things change); the newest answers count.
* An answer flags the case when there is, or the party is not sure whether there is, a
  restraining or protective order between the sides, or when the party is afraid for their
  safety. "Not sure" counts as yes: the mediator checks. A flagged case runs in caucus mode.
* Answers are seen by the case's mediators and CCR administration only: never by the other
  side, an observer or an attorney, never in a transcript, an email, a text, a log line or a
  court paper. Only the fact that a case is flagged is shown, and only to those same people.

Pure: no I/O, standard library only.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

ALWAYS_SCREENED = frozenset({"civil_harassment"})
# Kinds a centre may add with SCREENING_KINDS (civil harassment is always screened).
OPTIONAL_KINDS = frozenset({"small_claims", "unlawful_detainer", "community"})
NOTE_MAX = 1000


class Order(enum.StrEnum):
    """Is there a restraining or protective order between the sides?"""

    YES = "yes"
    NO = "no"
    UNSURE = "unsure"


def N_(message: str) -> str:
    """Marks a catalog text (odrchat.i18n extracts every N_ call); this module stays pure."""
    return message


class ScreeningError(ValueError):
    """Answers that cannot be stored; `fields` names each bad answer in plain words (a catalog
    msgid; `values` fill its {names})."""

    def __init__(
        self, fields: Mapping[str, str], values: Mapping[str, Mapping[str, object]] | None = None
    ) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in fields.items()))
        self.fields = dict(fields)
        self.values = {k: dict(v) for k, v in (values or {}).items()}


@dataclass(frozen=True, slots=True)
class Answers:
    """One party's answers. `note` is free text for the mediator (the accommodation needed)."""

    order: Order
    afraid: bool
    support_person: bool
    accommodation: bool
    note: str | None = field(default=None, repr=False)

    @property
    def flagged(self) -> bool:
        return flagged(self)


def required(kind: str, extra_kinds: Iterable[str] = ()) -> bool:
    """Whether parties of a case of this kind answer the screening before mediation."""
    return kind in ALWAYS_SCREENED or kind in frozenset(extra_kinds)


def flagged(answers: Answers) -> bool:
    """Whether these answers call for caucus-only mediation and the mediator's attention."""
    return answers.order is not Order.NO or answers.afraid


def answers_of(
    order: str,
    afraid: bool,
    support_person: bool,
    accommodation: bool,
    note: str | None = None,
) -> Answers:
    """Check raw answers and build `Answers`; raise ScreeningError naming every bad one."""
    errors: dict[str, str] = {}
    values: dict[str, dict[str, object]] = {}
    try:
        chosen = Order(order)
    except ValueError:
        errors["order"] = N_("choose yes, no or not sure")
        chosen = Order.UNSURE
    cleaned = (note or "").strip() or None
    if cleaned is not None and len(cleaned) > NOTE_MAX:
        errors["note"], values["note"] = N_("use at most {max} characters"), {"max": NOTE_MAX}
    if errors:
        raise ScreeningError(errors, values)
    return Answers(chosen, afraid, support_person, accommodation, cleaned)


def parse_kinds(raw: str) -> frozenset[str]:
    """SCREENING_KINDS: a comma-separated list of optional kinds; raise ValueError otherwise."""
    kinds = frozenset(k.strip() for k in raw.split(",") if k.strip())
    unknown = kinds - OPTIONAL_KINDS - ALWAYS_SCREENED
    if unknown:
        raise ValueError(
            f"unknown case kind(s) {', '.join(sorted(unknown))}; "
            f"choose from {', '.join(sorted(OPTIONAL_KINDS))}"
        )
    return kinds | ALWAYS_SCREENED
