"""A courtesy translation of a signed agreement, for a party who reads another language.

The agreement is signed in English, the court's language, and only the English text counts. A
party whose language is not English gets, after the signed agreement, a paper in their language
that says so at the top, names the SHA-256 of the English text it translates, and then gives the
agreement's facts and every term in that language: who, which court and case, what each side
does and by when (amounts and dates written the language's way). Words the parties or the
mediator typed (a free term, property, details, clarifications) are quoted as written: nobody
translated them. Signing times are written in the centre's time zone, as the English
signed text writes them. Pure: facts in, text out.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import tzinfo
from zoneinfo import ZoneInfo

from odrchat.agreements.dates import DEFAULT_TIMEZONE
from odrchat.agreements.machine import Signature, document_hash
from odrchat.agreements.templates import AgreementContext
from odrchat.cases.kinds import CaseKind, is_court_filed, side_label
from odrchat.cases.notices import KIND_LABELS
from odrchat.cases.roles import Side
from odrchat.i18n import DEFAULT, Texts, texts_for
from odrchat.offers.terms import (
    Dismissal,
    FreeTerm,
    InstallmentPlan,
    LumpSum,
    MoveOut,
    Payment,
    PropertyReturn,
    StayAway,
    Term,
)


def needed(languages: Sequence[str]) -> list[str]:
    """The languages a courtesy translation is made in: each non-English one, once."""
    return sorted({code for code in languages if code and code != DEFAULT})


def translations(
    languages: Sequence[str],
    case: AgreementContext,
    english: str,
    terms: Sequence[Term],
    signatures: Sequence[Signature] = (),
    *,
    tz: tzinfo | None = None,
) -> list[tuple[str, str]]:
    """(title, text) of the courtesy translation into each non-English language in
    `languages` (none when everyone reads English). `tz`: the centre's time zone, which
    signing times are written in (America/Los_Angeles when not given)."""
    out = []
    for code in needed(languages):
        t = texts_for(code)
        out.append((title(t), courtesy_text(t, case, english, terms, signatures, tz=tz)))
    return out


def title(t: Texts) -> str:
    return t.gettext("Courtesy translation: not the signed agreement")


def courtesy_text(
    t: Texts,
    case: AgreementContext,
    english: str,
    terms: Sequence[Term],
    signatures: Sequence[Signature] = (),
    *,
    tz: tzinfo | None = None,
) -> str:
    """The courtesy translation of the English agreement `english` into `t`'s language.
    Signing times are written in `tz`, the centre's zone (America/Los_Angeles when not
    given), as the English signed text writes them: never in UTC or the reader's zone."""
    names = case.names
    zone = tz or ZoneInfo(DEFAULT_TIMEZONE)

    def who(side: Side) -> str:
        return t.gettext(
            "{name} (the {side})",
            name=names[side],
            side=t.gettext(side_label(case.kind, side)).lower(),
        )

    lines = [
        title(t),
        "",
        t.gettext(
            "This is a courtesy translation into {language}. It is not the agreement that was "
            "signed. The signed agreement is the English text, and only the English text counts "
            "with the court and between the parties. If this translation and the English text "
            "differ, the English text is right.",
            language=t.language_name(t.language),
        ),
        t.gettext("It translates the English text with this fingerprint:"),
        f"SHA-256: {document_hash(english)}",
        t.gettext(
            "Words the parties or the mediator wrote themselves are quoted as written, without "
            "translation."
        ),
        "",
        t.gettext("The case"),
    ]
    if is_court_filed(case.kind):
        lines.append(t.gettext("Court: {court}", court=case.court_name))
        lines.append(t.gettext("Case number: {number}", number=case.court_case_number))
    lines.append(t.gettext("Kind of case: {kind}", kind=t.gettext(KIND_LABELS[case.kind])))
    lines.append(t.gettext("Date: {day}", day=t.format_date(case.agreement_date)))
    for side in Side:
        lines.append(f"{t.gettext(side_label(case.kind, side))}: {names[side]}")
    if case.kind is CaseKind.UNLAWFUL_DETAINER and case.premises_address:
        lines.append(t.gettext("Premises: {address}", address=case.premises_address))
    lines.append(t.gettext("Mediator: {name}", name=case.mediator_name))
    lines += [
        "",
        t.gettext("What the parties agreed"),
        *(f"- {term_text(t, term, who)}" for term in terms),
        "",
        t.gettext("What else the agreement says"),
        _kind_note(t, case.kind),
        t.gettext(
            "The mediator is neutral and did not give legal advice to either party. A signed "
            "agreement is not confidential."
        ),
    ]
    if signatures:
        lines += ["", t.gettext("Who signed (the English text)")]
        for s in signatures:
            lines.append(
                t.gettext(
                    "{name}, {day}",
                    name=s.typed_name,
                    day=t.format_moment(s.at, tz=zone),
                )
            )
    return "\n".join(lines) + "\n"


def term_text(t: Texts, term: Term, name: Callable[[Side], str]) -> str:
    """One term in `t`'s language; `name` writes a side ("Dana (the defendant)")."""
    if isinstance(term, Payment):
        if isinstance(term.schedule, LumpSum):
            return t.gettext(
                "{payer} pays {payee} {amount} by {day}.",
                payer=name(term.payer),
                payee=name(term.payee),
                amount=t.format_money(term.amount_cents),
                day=t.format_date(term.schedule.due),
            )
        assert isinstance(term.schedule, InstallmentPlan)
        parts = "; ".join(
            t.gettext(
                "{amount} by {day}",
                amount=t.format_money(i.amount_cents),
                day=t.format_date(i.due),
            )
            for i in term.schedule.installments
        )
        return t.ngettext(
            "{payer} pays {payee} {amount} in {n} payment: {parts}.",
            "{payer} pays {payee} {amount} in {n} payments: {parts}.",
            len(term.schedule.installments),
            payer=name(term.payer),
            payee=name(term.payee),
            amount=t.format_money(term.amount_cents),
            parts=parts,
        )
    if isinstance(term, MoveOut):
        return t.gettext(
            "{tenant} moves out of the premises by {day}.",
            tenant=name(term.tenant),
            day=t.format_date(term.by),
        )
    if isinstance(term, StayAway):
        said = []
        if term.distance_feet:
            said.append(
                t.gettext(
                    "{person} stays at least {feet} feet away from {other}.",
                    person=name(term.restrained),
                    feet=t.format_number(term.distance_feet),
                    other=name(term.restrained.other),
                )
            )
        if term.no_contact:
            said.append(
                t.gettext(
                    "{person} does not contact {other}.",
                    person=name(term.restrained),
                    other=name(term.restrained.other),
                )
            )
        if term.details:
            said.append(t.gettext('As written: "{words}"', words=term.details))
        return " ".join(said)
    if isinstance(term, PropertyReturn):
        return t.gettext(
            'By {day}, {person} returns: "{what}" (as written).',
            day=t.format_date(term.by),
            person=name(term.returner),
            what=term.description,
        )
    if isinstance(term, Dismissal):
        if term.with_prejudice:
            return t.gettext("The case is dismissed with prejudice (it cannot be filed again).")
        return t.gettext("The case is dismissed without prejudice.")
    assert isinstance(term, FreeTerm)
    return t.gettext('As written: "{words}"', words=term.text)


def _kind_note(t: Texts, kind: CaseKind) -> str:
    if kind is CaseKind.SMALL_CLAIMS:
        return t.gettext(
            "The parties ask the court to keep the power to enforce this agreement (Code of "
            "Civil Procedure section 664.6). The English text says what happens with the case "
            "and the hearing."
        )
    if kind is CaseKind.UNLAWFUL_DETAINER:
        return t.gettext(
            "The English text says how the eviction case ends (a conditional dismissal or a "
            "stipulated judgment) and what happens if a term is not kept."
        )
    if kind is CaseKind.CIVIL_HARASSMENT:
        return t.gettext(
            "Ending the petition also ends any temporary restraining order. Each party signs "
            "personally."
        )
    return t.gettext("This is a private agreement. It is not filed with a court.")
