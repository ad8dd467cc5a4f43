"""What participants read about the process: the agreement to mediate and the case notices.

Plain words, from the FAQ. Two promises hold in every text: mediation is voluntary at every stage,
and stopping brings no penalty from the court. Texts never say who ended a mediation or why.
Changing AGREEMENT_TEXT means bumping AGREEMENT_TO_MEDIATE_VERSION: consents record the version.
Every text is a catalog msgid written in the reader's language by a `Writer` (odrchat.i18n's
`Texts`); without one, it is English.
"""

from __future__ import annotations

from datetime import date
from typing import Protocol

from odrchat.cases.kinds import CaseKind, is_court_filed


def N_(message: str) -> str:
    """Marks a catalog text (odrchat.i18n extracts every N_ call); this module stays pure."""
    return message


class Writer(Protocol):
    """What these texts need of a language: `odrchat.i18n.Texts` is one, `ENGLISH` another."""

    def gettext(self, message: str, /, **values: object) -> str: ...

    def format_date(self, day: date, format: str = "long") -> str: ...


AGREEMENT_TO_MEDIATE_VERSION = "2026-11-1"

AGREEMENT_PARAGRAPHS = (
    N_("Agreement to mediate"),
    N_(
        "Taking part is your choice. Participation is voluntary at every stage. Either side can "
        "stop at any time, without penalty from the court."
    ),
    N_(
        "The mediator is neutral. The mediator is not anyone's lawyer, gives no legal advice and "
        "decides nothing. You and the other side make every decision, and you never have to "
        "accept an offer."
    ),
    N_(
        "What stays confidential. The conversations in mediation are not shared with the court. "
        "The law gives statutory confidentiality to communications made in mediation. There are "
        "limited exceptions, such as a threat to harm another person."
    ),
    N_(
        "What is not confidential. A signed agreement is not confidential. For a court case, "
        "the signed agreement is filed with the court."
    ),
    N_(
        "Lawyers. You do not need a lawyer. If you have one, your lawyer may take part with you "
        "or for you."
    ),
    N_(
        "Others who may take part. A co-mediator, an observer (a mediator in training, present "
        "only with the mediator's approval) or CCR administration may take part. If they do, "
        "you will be told who they are and what they do."
    ),
)
AGREEMENT_TEXT = "\n\n".join(AGREEMENT_PARAGRAPHS)


def agreement_text(t: Writer) -> str:
    """The agreement to mediate in the reader's language."""
    return "\n\n".join(t.gettext(p) for p in AGREEMENT_PARAGRAPHS)


_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def format_date(day: date) -> str:
    """A date in words, independent of the server's locale: "Tuesday, March 3, 2026"."""
    return f"{_WEEKDAYS[day.weekday()]}, {_MONTHS[day.month - 1]} {day.day}, {day.year}"


class _English:
    """Writes the msgids as they are: the texts' own language, for callers that give none."""

    def gettext(self, message: str, /, **values: object) -> str:
        return message.format(**values) if values else message

    def format_date(self, day: date, format: str = "long") -> str:
        return (
            format_date(day)
            if format == "full"
            else f"{_MONTHS[day.month - 1]} {day.day}, {day.year}"
        )


ENGLISH: Writer = _English()


def _hearing(t: Writer, kind: CaseKind, hearing_date: date | None) -> str:
    if not is_court_filed(kind):
        return t.gettext(
            "This matter is not filed in court, so there is no court date to attend. "
            "You may contact CCR to talk about other options."
        )
    if hearing_date is None:
        return t.gettext(
            "Please follow the procedures the court gave you and attend your court hearing, "
            "where you can present your case to the judge. Your court papers show the date, "
            "time and place."
        )
    return t.gettext(
        "Please follow the procedures the court gave you and attend your court hearing on "
        "{day}, where you can present your case to the judge. Your court papers show the time "
        "and place.",
        day=t.format_date(hearing_date, "full"),
    )


def not_mediated_notice(kind: CaseKind, hearing_date: date | None, t: Writer = ENGLISH) -> str:
    """Notice for a case that was never mediated (declined or expired invitation)."""
    return t.gettext(
        "Mediation will not take place in this case: it needs both sides to agree to take "
        "part. {hearing}",
        hearing=_hearing(t, kind, hearing_date),
    )


def closed_notice(
    outcome: str, kind: CaseKind, hearing_date: date | None = None, t: Writer = ENGLISH
) -> str:
    """Notice sent to every participant when a case reaches this outcome (`machine.Outcome`).

    The outcome is taken by value: the machine imports this module for the text version.
    """
    if outcome in ("declined", "expired"):
        return not_mediated_notice(kind, hearing_date, t)
    hearing = _hearing(t, kind, hearing_date)
    if outcome == "opted_out":
        # Deliberately the same words whoever stopped and for whatever reason.
        if is_court_filed(kind):
            return t.gettext(
                "Mediation has ended. Taking part is voluntary, and anyone may stop at any time "
                "without penalty from the court. {hearing}",
                hearing=hearing,
            )
        return t.gettext(
            "Mediation has ended. Taking part is voluntary, and anyone may stop at any time "
            "without penalty. {hearing}",
            hearing=hearing,
        )
    if outcome == "impasse":
        if is_court_filed(kind):
            return t.gettext(
                "Mediation has ended without an agreement. Thank you for taking part. {hearing} "
                "Bring your court papers and any documents that support your case. What was "
                "said in mediation is not shared with the court.",
                hearing=hearing,
            )
        return t.gettext(
            "Mediation has ended without an agreement. Thank you for taking part. {hearing}",
            hearing=hearing,
        )
    if outcome == "settled":
        if is_court_filed(kind):
            return t.gettext(
                "Your agreement is signed by both sides and mediation is complete. A signed "
                "agreement is not confidential. CCR will help file the signed agreement with "
                "the court. Your mediator will tell you what happens next in your court case."
            )
        return t.gettext(
            "Your agreement is signed by both sides and mediation is complete. A signed "
            "agreement is not confidential. Keep a copy of the signed agreement."
        )
    raise ValueError(f"not an outcome: {outcome!r}")


def odr_explainer(kind: CaseKind, t: Writer = ENGLISH) -> str:
    """What ODR is, for the invitation email and page of the other side."""
    parts = [
        t.gettext(
            "Online Dispute Resolution (ODR) lets you try to settle your dispute online, on your "
            "own time, with the help of a mediator and without going to court."
        ),
        t.gettext(
            "It is voluntary: mediation happens only if both sides agree, and either side can "
            "stop at any time."
        ),
        t.gettext(
            "The mediator is neutral, does not give legal advice and does not decide the outcome."
        ),
    ]
    if is_court_filed(kind):
        parts.append(t.gettext("There is no fee for a filed case."))
    else:
        parts.append(
            t.gettext(
                "Community mediations are subject to fee review; CCR will contact you about it."
            )
        )
    parts.append(
        t.gettext(
            "You do not need a lawyer; if you have one, your lawyer can take part with you or "
            "for you."
        )
    )
    if is_court_filed(kind):
        parts.append(
            t.gettext(
                "If you do not agree to mediate, or no agreement is reached, you follow the "
                "procedures the court gave you and can still present your case at your hearing."
            )
        )
    else:
        parts.append(t.gettext("If you do not agree to mediate, nothing else changes."))
    return " ".join(parts)


# What a case list and a case page say the next step is (`views.next_step` picks one).
NEXT_STEP = {
    "closed": N_("This case is closed."),
    "consent": N_("Please read and accept the agreement to mediate."),
    "screening": N_(
        "Please answer a few private safety questions, then read and accept the "
        "agreement to mediate."
    ),
    "invited": N_("Waiting for the other side to answer the invitation."),
    "other_consent": N_("Waiting for the other side to accept the agreement to mediate."),
    "assign": N_("Please assign a mediator."),
    "awaiting_mediator": N_("Both sides agreed to mediate. CCR will assign a mediator soon."),
    "observer_waiting": N_("Waiting for the mediator to approve you as an observer."),
    "in_mediation": N_("Mediation is under way: join the conversation."),
}
