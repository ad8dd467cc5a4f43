"""What participants read about the process: the agreement to mediate and the case notices.

Plain words, from the FAQ. Two promises hold in every text: mediation is voluntary at every stage,
and stopping brings no penalty from the court. Texts never say who ended a mediation or why.
Changing AGREEMENT_TEXT means bumping AGREEMENT_TO_MEDIATE_VERSION: consents record the version.
"""

from __future__ import annotations

from datetime import date

from odrchat.cases.kinds import CaseKind, is_court_filed

AGREEMENT_TO_MEDIATE_VERSION = "2026-11-1"

AGREEMENT_TEXT = "\n\n".join(
    (
        "Agreement to mediate",
        "Taking part is your choice. Participation is voluntary at every stage. Either side can "
        "stop at any time, without penalty from the court.",
        "The mediator is neutral. The mediator is not anyone's lawyer, gives no legal advice and "
        "decides nothing. You and the other side make every decision, and you never have to "
        "accept an offer.",
        "What stays confidential. The conversations in mediation are not shared with the court. "
        "The law gives statutory confidentiality to communications made in mediation. There are "
        "limited exceptions, such as a threat to harm another person.",
        "What is not confidential. A signed agreement is not confidential. For a court case, "
        "the signed agreement is filed with the court.",
        "Lawyers. You do not need a lawyer. If you have one, your lawyer may take part with you "
        "or for you.",
        "Others who may take part. A co-mediator, an observer (a mediator in training, present "
        "only with the mediator's approval) or CCR administration may take part. If they do, "
        "you will be told who they are and what they do.",
    )
)

_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def format_date(day: date) -> str:
    """A date in words, independent of the server's locale: "Tuesday, March 3, 2026"."""
    return f"{_WEEKDAYS[day.weekday()]}, {_MONTHS[day.month - 1]} {day.day}, {day.year}"


def _hearing(kind: CaseKind, hearing_date: date | None) -> str:
    if not is_court_filed(kind):
        return (
            "This matter is not filed in court, so there is no court date to attend. "
            "You may contact CCR to talk about other options."
        )
    if hearing_date is None:
        when, papers = "", "Your court papers show the date, time and place."
    else:
        when, papers = (
            f" on {format_date(hearing_date)}",
            "Your court papers show the time and place.",
        )
    return (
        "Please follow the procedures the court gave you and attend your court hearing"
        f"{when}, where you can present your case to the judge. {papers}"
    )


def _without_penalty(kind: CaseKind) -> str:
    return "without penalty from the court" if is_court_filed(kind) else "without penalty"


def not_mediated_notice(kind: CaseKind, hearing_date: date | None) -> str:
    """Notice for a case that was never mediated (declined or expired invitation)."""
    return (
        "Mediation will not take place in this case: it needs both sides to agree to take "
        f"part. {_hearing(kind, hearing_date)}"
    )


def closed_notice(outcome: str, kind: CaseKind, hearing_date: date | None = None) -> str:
    """Notice sent to every participant when a case reaches this outcome (`machine.Outcome`).

    The outcome is taken by value: the machine imports this module for the text version.
    """
    if outcome in ("declined", "expired"):
        return not_mediated_notice(kind, hearing_date)
    if outcome == "opted_out":
        # Deliberately the same words whoever stopped and for whatever reason.
        return (
            "Mediation has ended. Taking part is voluntary, and anyone may stop at any time "
            f"{_without_penalty(kind)}. {_hearing(kind, hearing_date)}"
        )
    if outcome == "impasse":
        court = (
            " Bring your court papers and any documents that support your case. What was said "
            "in mediation is not shared with the court."
            if is_court_filed(kind)
            else ""
        )
        return (
            "Mediation has ended without an agreement. Thank you for taking part. "
            f"{_hearing(kind, hearing_date)}{court}"
        )
    if outcome == "settled":
        filing = (
            "CCR will help file the signed agreement with the court. Your mediator will tell "
            "you what happens next in your court case."
            if is_court_filed(kind)
            else "Keep a copy of the signed agreement."
        )
        return (
            "Your agreement is signed by both sides and mediation is complete. "
            f"A signed agreement is not confidential. {filing}"
        )
    raise ValueError(f"not an outcome: {outcome!r}")


def odr_explainer(kind: CaseKind) -> str:
    """What ODR is, for the invitation email to the other side."""
    if is_court_filed(kind):
        fee = "There is no fee for a filed case."
        otherwise = (
            "If you do not agree to mediate, or no agreement is reached, you follow the "
            "procedures the court gave you and can still present your case at your hearing."
        )
    else:
        fee = "Community mediations are subject to fee review; CCR will contact you about it."
        otherwise = "If you do not agree to mediate, nothing else changes."
    return " ".join(
        (
            "Online Dispute Resolution (ODR) lets you try to settle your dispute online, on your "
            "own time, with the help of a mediator and without going to court.",
            "It is voluntary: mediation happens only if both sides agree, and either side can "
            "stop at any time.",
            "The mediator is neutral, does not give legal advice and does not decide the outcome.",
            fee,
            "You do not need a lawyer; if you have one, your lawyer can take part with you or "
            "for you.",
            otherwise,
        )
    )


# What a case list and a case page say the next step is (`views.next_step` picks one).
NEXT_STEP = {
    "closed": "This case is closed.",
    "consent": "Please read and accept the agreement to mediate.",
    "screening": "Please answer a few private safety questions, then read and accept the "
    "agreement to mediate.",
    "invited": "Waiting for the other side to answer the invitation.",
    "other_consent": "Waiting for the other side to accept the agreement to mediate.",
    "assign": "Please assign a mediator.",
    "awaiting_mediator": "Both sides agreed to mediate. CCR will assign a mediator soon.",
    "observer_waiting": "Waiting for the mediator to approve you as an observer.",
    "in_mediation": "Mediation is under way: join the conversation.",
}
