"""What reminders say. Kept together for the message catalogs; never any mediation content.

Each builder returns the ``Words`` of one letter: an email subject and paragraphs, a short text
(the link is appended to it) and the path it links to.
"""

from __future__ import annotations

from datetime import date

from odrchat.notify.notifier import Words

__all__ = [
    "consent_missing",
    "hearing_approaching",
    "invitation_unanswered_invitee",
    "invitation_unanswered_inviter",
    "mediator_unassigned",
    "offer_expiring",
    "signature_waiting",
]


def _case(case_id: int) -> str:
    return f"/#/cases/{case_id}"


def _day(d: date) -> str:
    return f"{d:%B} {d.day}, {d.year}"


def invitation_unanswered_invitee(label: str, expires: date) -> Words:
    """To someone who has not answered an invitation to mediate."""
    return Words(
        subject=f"Reminder: you are invited to mediation {label}",
        paragraphs=(
            f"You were invited to take part in an online mediation ({label}) and have not "
            "answered yet.",
            f"The invitation is in an earlier email from us and can be used until "
            f"{_day(expires)}. If you cannot find it, ask the person who invited you to send it "
            "again, or contact the mediation centre.",
        ),
        text=f"ODR: reminder, you are invited to mediation {label}. See our earlier email.",
        link="/",
    )


def invitation_unanswered_inviter(label: str, case_id: int, name: str, expires: date) -> Words:
    """To the person whose invitation has not been answered."""
    return Words(
        subject=f"Your invitation in {label} is not answered yet",
        paragraphs=(
            f"{name} has not answered your invitation to mediation {label} yet. We have sent "
            "them a reminder.",
            f"The invitation can be used until {_day(expires)}. You can send it again, to the "
            "same or another address, from your case page.",
        ),
        text=f"ODR: your invitation in {label} is not answered yet.",
        link=_case(case_id),
    )


def consent_missing(label: str, case_id: int) -> Words:
    """To a party who has not agreed to mediate yet."""
    return Words(
        subject=f"Mediation {label} is waiting for your agreement to mediate",
        paragraphs=(
            f"Mediation {label} cannot start until you read and accept the agreement to "
            "mediate. Please open your case to do so.",
        ),
        text=f"ODR: mediation {label} waits for your agreement to mediate.",
        link=_case(case_id),
    )


def mediator_unassigned(label: str, case_id: int, days: int) -> Words:
    """To the centre's admins: a case ready for a mediator has none."""
    return Words(
        subject=f"No mediator assigned to {label} for {days} days",
        paragraphs=(
            f"Both sides of {label} agreed to mediate {days} or more days ago and no mediator "
            "has been assigned yet.",
        ),
        text=f"ODR: {label} has waited {days} days for a mediator.",
        link=_case(case_id),
    )


def signature_waiting(label: str, case_id: int) -> Words:
    """To a party whose side has not signed the agreement."""
    return Words(
        subject=f"The agreement in {label} is waiting for your signature",
        paragraphs=(
            f"The settlement agreement in mediation {label} is ready and your side has not "
            "signed it yet. Please read it and sign it on the mediation site, or tell your "
            "mediator if something is wrong.",
        ),
        text=f"ODR: the agreement in {label} waits for your signature.",
        link=_case(case_id),
    )


def offer_expiring(label: str, case_id: int) -> Words:
    """To a party who has an offer to answer that expires within a day."""
    return Words(
        subject=f"An offer in {label} expires soon",
        paragraphs=(
            f"An offer in mediation {label} is waiting for your answer and expires within a "
            "day. Please open your case to read it and answer.",
        ),
        text=f"ODR: an offer in {label} expires within a day.",
        link=_case(case_id),
    )


def hearing_approaching(label: str, case_id: int, hearing: date, days: int) -> Words:
    """To everyone in a case whose court date is near with no agreement yet."""
    return Words(
        subject=f"Your court date in {label} is in {days} days",
        paragraphs=(
            f"Your court hearing in {label} is on {_day(hearing)} and the mediation has not "
            "reached an agreement yet.",
            "Mediation must finish before your court date. If you do not reach an agreement, "
            "the hearing goes ahead as planned and you should attend it.",
        ),
        text=(
            f"ODR: court date in {label} is {_day(hearing)}. "
            "Mediation must finish before your court date."
        ),
        link=_case(case_id),
    )
