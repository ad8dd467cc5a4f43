"""Structured settlement terms: what the parties would agree to, as data.

An offer carries `Terms`; an agreement renders them. `parse_terms` is the only door from JSON
into these types: it checks every field and reports every problem at once, keyed by a path such
as ``items/0/amount_cents``. `terms_to_json` is its exact inverse. Money is integer cents.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import TypeAlias

from odrchat.cases.roles import Side

MAX_CENTS = 100_000_000  # $1,000,000.00: far beyond any small claims or UD settlement
MAX_TERMS = 20
MAX_INSTALLMENTS = 120  # ten years of monthly payments
MAX_YEARS = 10
MAX_FEET = 5_280 * 5  # a stay-away farther than five miles is better written as free text
TEXT_LIMITS = {"text": 2000, "details": 1000, "description": 500, "late_consequence": 1000}


@dataclass(frozen=True, slots=True)
class LumpSum:
    due: date


@dataclass(frozen=True, slots=True)
class Installment:
    amount_cents: int
    due: date


@dataclass(frozen=True, slots=True)
class InstallmentPlan:
    installments: tuple[Installment, ...]


Schedule: TypeAlias = LumpSum | InstallmentPlan


@dataclass(frozen=True, slots=True)
class Payment:
    payer: Side
    payee: Side
    amount_cents: int
    schedule: Schedule
    late_consequence: str  # empty: the agreement template supplies its default wording


@dataclass(frozen=True, slots=True)
class MoveOut:
    """Unlawful detainer: the tenant leaves the premises by a date."""

    by: date
    tenant: Side


@dataclass(frozen=True, slots=True)
class StayAway:
    """Civil harassment: the restrained side keeps a distance and/or has no contact."""

    restrained: Side
    distance_feet: int | None
    no_contact: bool
    details: str


@dataclass(frozen=True, slots=True)
class PropertyReturn:
    returner: Side
    description: str
    by: date


@dataclass(frozen=True, slots=True)
class Dismissal:
    with_prejudice: bool = False


@dataclass(frozen=True, slots=True)
class FreeTerm:
    text: str


Term: TypeAlias = Payment | MoveOut | StayAway | PropertyReturn | Dismissal | FreeTerm


@dataclass(frozen=True, slots=True)
class Terms:
    items: tuple[Term, ...]


def N_(message: str) -> str:
    """Marks a catalog text (odrchat.i18n extracts every N_ call); this module stays pure."""
    return message


class TermsError(ValueError):
    """Terms that fail validation; `fields` maps a path like ``items/0/due`` to a message, and
    `says` the same path to the message's catalog msgid and the values for its {names}."""

    code = "invalid_terms"

    def __init__(
        self,
        fields: dict[str, str],
        says: dict[str, tuple[str, dict[str, object]]] | None = None,
    ) -> None:
        self.fields = fields
        self.says = says or {path: (message, {}) for path, message in fields.items()}
        super().__init__("; ".join(f"{path}: {message}" for path, message in fields.items()))


# Per kind: (required fields, optional fields). Optional fields have the defaults used below.
_FIELDS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "payment": (
        frozenset({"kind", "payer", "payee", "amount_cents", "schedule"}),
        frozenset({"late_consequence"}),
    ),
    "move_out": (frozenset({"kind", "by", "tenant"}), frozenset()),
    "stay_away": (
        frozenset({"kind", "restrained"}),
        frozenset({"distance_feet", "no_contact", "details"}),
    ),
    "property_return": (frozenset({"kind", "returner", "description", "by"}), frozenset()),
    "dismissal": (frozenset({"kind"}), frozenset({"with_prejudice"})),
    "free_text": (frozenset({"kind", "text"}), frozenset()),
}
_SCHEDULE_FIELDS = {
    "lump_sum": frozenset({"kind", "due"}),
    "installments": frozenset({"kind", "installments"}),
}


def parse_terms(raw: object, *, today: date) -> Terms:
    """Validate a JSON-shaped list of terms; raise TermsError listing every problem."""
    reader = _Reader(today)
    items: list[Term] = []
    if not isinstance(raw, list):
        reader.fail("items", N_("must be a list of terms"))
    elif not 1 <= len(raw) <= MAX_TERMS:
        reader.fail("items", N_("give between 1 and {max} terms"), max=MAX_TERMS)
    else:
        for index, item in enumerate(raw):
            term = reader.term(item, f"items/{index}")
            if term is not None:
                items.append(term)
    if reader.errors:
        raise TermsError(reader.errors, reader.says)
    return Terms(tuple(items))


class _Reader:
    """Collects errors; field readers return a harmless placeholder after recording one."""

    def __init__(self, today: date) -> None:
        self.today = today
        self.latest = _add_years(today, MAX_YEARS)
        self.errors: dict[str, str] = {}
        self.says: dict[str, tuple[str, dict[str, object]]] = {}

    def fail(self, path: str, message: str, **params: object) -> None:
        """Record the first problem at `path`: `message` is a catalog msgid with {names}."""
        if path not in self.errors:
            self.errors[path] = message.format(**params) if params else message
            self.says[path] = (message, params)

    def fields(
        self, raw: object, path: str, required: frozenset[str], optional: frozenset[str]
    ) -> Mapping[str, object] | None:
        if not isinstance(raw, dict):
            self.fail(path, N_("must be an object"))
            return None
        for key in raw:
            if key not in required and key not in optional:
                self.fail(f"{path}/{key}", N_("unknown field"))
        for key in sorted(required - raw.keys()):
            self.fail(f"{path}/{key}", N_("required"))
        return raw

    def kind(self, raw: object, path: str, known: Mapping[str, object]) -> str | None:
        kind = raw.get("kind") if isinstance(raw, dict) else None
        if isinstance(kind, str) and kind in known:
            return kind
        if not isinstance(raw, dict):
            self.fail(path, N_("must be an object"))
        else:
            self.fail(f"{path}/kind", N_("must be one of: {choices}"), choices=", ".join(known))
        return None

    def term(self, raw: object, path: str) -> Term | None:
        kind = self.kind(raw, path, _FIELDS)
        if kind is None:
            return None
        m = self.fields(raw, path, *_FIELDS[kind])
        assert m is not None  # kind() already proved raw is a dict
        before = len(self.errors)
        term: Term
        if kind == "payment":
            term = Payment(
                payer=self.side(m, "payer", path),
                payee=self.side(m, "payee", path),
                amount_cents=self.cents(m, "amount_cents", path),
                schedule=self.schedule(m, path),
                late_consequence=self.text(m, "late_consequence", path, required=False),
            )
            if len(self.errors) == before and term.payer is term.payee:
                self.fail(f"{path}/payee", N_("payer and payee must be different sides"))
            if len(self.errors) == before and isinstance(term.schedule, InstallmentPlan):
                total = sum(i.amount_cents for i in term.schedule.installments)
                if total != term.amount_cents:
                    self.fail(
                        f"{path}/schedule/installments",
                        N_("installments add up to {sum} but the payment total is {total}"),
                        sum=format_cents(total),
                        total=format_cents(term.amount_cents),
                    )
        elif kind == "move_out":
            term = MoveOut(by=self.day(m, "by", path), tenant=self.side(m, "tenant", path))
        elif kind == "stay_away":
            term = StayAway(
                restrained=self.side(m, "restrained", path),
                distance_feet=self.feet(m, "distance_feet", path),
                no_contact=self.flag(m, "no_contact", path),
                details=self.text(m, "details", path, required=False),
            )
            if len(self.errors) == before and term.distance_feet is None and not term.no_contact:
                self.fail(path, N_("a stay-away needs a distance, no contact, or both"))
        elif kind == "property_return":
            term = PropertyReturn(
                returner=self.side(m, "returner", path),
                description=self.text(m, "description", path, required=True),
                by=self.day(m, "by", path),
            )
        elif kind == "dismissal":
            term = Dismissal(with_prejudice=self.flag(m, "with_prejudice", path))
        else:
            term = FreeTerm(text=self.text(m, "text", path, required=True))
        return term

    def schedule(self, m: Mapping[str, object], path: str) -> Schedule:
        path = f"{path}/schedule"
        raw = m.get("schedule")
        kind = self.kind(raw, path, _SCHEDULE_FIELDS) if "schedule" in m else None
        if kind is None:
            return LumpSum(self.today)
        s = self.fields(raw, path, _SCHEDULE_FIELDS[kind], frozenset())
        assert s is not None
        if kind == "lump_sum":
            return LumpSum(self.day(s, "due", path))
        path = f"{path}/installments"
        plan = s.get("installments")
        if "installments" not in s:
            return InstallmentPlan(())
        if not isinstance(plan, list) or not 1 <= len(plan) <= MAX_INSTALLMENTS:
            self.fail(path, N_("give a list of 1 to {max} installments"), max=MAX_INSTALLMENTS)
            return InstallmentPlan(())
        parts: list[Installment] = []
        for index, raw_part in enumerate(plan):
            part_path = f"{path}/{index}"
            p = self.fields(raw_part, part_path, frozenset({"amount_cents", "due"}), frozenset())
            if p is None:
                continue
            part = Installment(
                self.cents(p, "amount_cents", part_path), self.day(p, "due", part_path)
            )
            if parts and "due" in p and part.due <= parts[-1].due:
                self.fail(f"{part_path}/due", N_("each installment must fall after the one before"))
            parts.append(part)
        return InstallmentPlan(tuple(parts))

    def side(self, m: Mapping[str, object], key: str, path: str) -> Side:
        value = m.get(key)
        if key in m and not (isinstance(value, str) and value in tuple(Side)):
            self.fail(f"{path}/{key}", N_("must be 'plaintiff' or 'defendant'"))
        return Side(value) if isinstance(value, str) and value in tuple(Side) else Side.PLAINTIFF

    def cents(self, m: Mapping[str, object], key: str, path: str) -> int:
        value = m.get(key)
        if key not in m:
            return 0
        if type(value) is not int or not 1 <= value <= MAX_CENTS:
            self.fail(f"{path}/{key}", N_("must be whole cents from 1 to {max}"), max=MAX_CENTS)
            return 0
        return value

    def feet(self, m: Mapping[str, object], key: str, path: str) -> int | None:
        value = m.get(key)
        if value is None:
            return None
        if type(value) is not int or not 1 <= value <= MAX_FEET:
            self.fail(
                f"{path}/{key}", N_("must be a whole number of feet from 1 to {max}"), max=MAX_FEET
            )
            return None
        return value

    def flag(self, m: Mapping[str, object], key: str, path: str) -> bool:
        value = m.get(key, False)
        if not isinstance(value, bool):
            self.fail(f"{path}/{key}", N_("must be true or false"))
            return False
        return value

    def day(self, m: Mapping[str, object], key: str, path: str) -> date:
        value = m.get(key)
        if key not in m:
            return self.today
        try:
            # Only the canonical YYYY-MM-DD form; fromisoformat alone also takes 20270115.
            day = date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else None
        except ValueError:
            day = None
        if day is None or day.isoformat() != value:
            self.fail(f"{path}/{key}", N_("must be a date written YYYY-MM-DD"))
            return self.today
        if not self.today < day <= self.latest:
            self.fail(
                f"{path}/{key}",
                N_("must be after {after} and no later than {latest}"),
                after=self.today.isoformat(),
                latest=self.latest.isoformat(),
            )
        return day

    def text(self, m: Mapping[str, object], key: str, path: str, *, required: bool) -> str:
        value = m.get(key, "")
        limit = TEXT_LIMITS[key]
        if not isinstance(value, str):
            self.fail(f"{path}/{key}", N_("must be text"))
            return ""
        # Browsers send textarea line breaks as CRLF; keep one spelling so round-trips are exact.
        value = value.replace("\r\n", "\n").strip()
        if required and not value:
            self.fail(f"{path}/{key}", N_("must not be empty"))
        elif len(value) > limit:
            self.fail(f"{path}/{key}", N_("must be at most {limit} characters"), limit=limit)
        elif any(unicodedata.category(c) == "Cc" and c not in "\n\t" for c in value):
            self.fail(f"{path}/{key}", N_("must not contain control characters"))
        return value


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February into a common year
        return day.replace(year=day.year + years, day=28)


def terms_to_json(terms: Terms) -> list[dict[str, object]]:
    """The JSON shape parse_terms accepts; parse_terms(terms_to_json(t)) == t."""
    return [_term_to_json(term) for term in terms.items]


def _term_to_json(term: Term) -> dict[str, object]:
    match term:
        case Payment():
            schedule: dict[str, object]
            if isinstance(term.schedule, LumpSum):
                schedule = {"kind": "lump_sum", "due": term.schedule.due.isoformat()}
            else:
                parts = [
                    {"amount_cents": i.amount_cents, "due": i.due.isoformat()}
                    for i in term.schedule.installments
                ]
                schedule = {"kind": "installments", "installments": parts}
            return {
                "kind": "payment",
                "payer": str(term.payer),
                "payee": str(term.payee),
                "amount_cents": term.amount_cents,
                "schedule": schedule,
                "late_consequence": term.late_consequence,
            }
        case MoveOut():
            return {"kind": "move_out", "by": term.by.isoformat(), "tenant": str(term.tenant)}
        case StayAway():
            return {
                "kind": "stay_away",
                "restrained": str(term.restrained),
                "distance_feet": term.distance_feet,
                "no_contact": term.no_contact,
                "details": term.details,
            }
        case PropertyReturn():
            return {
                "kind": "property_return",
                "returner": str(term.returner),
                "description": term.description,
                "by": term.by.isoformat(),
            }
        case Dismissal():
            return {"kind": "dismissal", "with_prejudice": term.with_prejudice}
        case FreeTerm():
            return {"kind": "free_text", "text": term.text}


def format_cents(cents: int) -> str:
    """Dollars for people: 125000 -> "$1,250.00"."""
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}${whole:,}.{part:02d}"


def describe(
    term: Term, names: Mapping[Side, str], *, day: Callable[[date], str] = date.isoformat
) -> str:
    """One plain-language sentence for a term, naming the parties; `day` writes dates."""

    def name(side: Side) -> str:
        return names.get(side) or f"The {side}"

    match term:
        case Payment():
            head = f"{name(term.payer)} pays {name(term.payee)} {format_cents(term.amount_cents)}"
            if isinstance(term.schedule, LumpSum):
                sentence = f"{head} by {day(term.schedule.due)}."
            else:
                parts = [
                    f"{format_cents(i.amount_cents)} by {day(i.due)}"
                    for i in term.schedule.installments
                ]
                count = len(parts)
                noun = "installment" if count == 1 else "installments"
                sentence = f"{head} in {count} {noun}: {', '.join(parts)}."
            if term.late_consequence:
                sentence += f" If a payment is missed: {term.late_consequence}"
            return sentence
        case MoveOut():
            return f"{name(term.tenant)} moves out of the premises by {day(term.by)}."
        case StayAway():
            other = name(term.restrained.other)
            duties: list[str] = []
            if term.distance_feet is not None:
                duties.append(f"stays at least {term.distance_feet:,} feet away from {other}")
            if term.no_contact:
                duties.append(f"has no contact with {other}")
            duties = duties or [f"stays away from {other}"]
            sentence = f"{name(term.restrained)} {' and '.join(duties)}."
            return f"{sentence} {term.details}" if term.details else sentence
        case PropertyReturn():
            return (
                f"{name(term.returner)} returns to {name(term.returner.other)} "
                f"by {day(term.by)}: {term.description}"
            )
        case Dismissal():
            how = "with prejudice" if term.with_prejudice else "without prejudice"
            return f"{name(Side.PLAINTIFF)} dismisses the case {how}."
        case FreeTerm():
            return term.text
