"""What reminders say, in the recipient's language (catalog texts). Never any mediation content.

Moments (an invitation's expiry, an offer's deadline) are written in the reader's time zone, the
one `Texts` carries (`Notifier.tell` passes their choice, else the centre's), with the zone named
where a time of day appears.

Each builder returns the ``Words`` of one letter: an email subject and paragraphs, a short text
(the link is appended to it) and the path it links to.
"""

from __future__ import annotations

from datetime import date, datetime

from odrchat.i18n import Texts
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


def invitation_unanswered_invitee(t: Texts, label: str, expires: datetime) -> Words:
    """To someone who has not answered an invitation to mediate."""
    return Words(
        subject=t.gettext("Reminder: you are invited to mediation {label}", label=label),
        paragraphs=(
            t.gettext(
                "You were invited to take part in an online mediation ({label}) and have not "
                "answered yet.",
                label=label,
            ),
            t.gettext(
                "The invitation is in an earlier email from us and can be used until {day}. If "
                "you cannot find it, ask the person who invited you to send it again, or contact "
                "the mediation centre.",
                day=t.format_day(expires),
            ),
        ),
        text=t.gettext(
            "ODR: reminder, you are invited to mediation {label}. See our earlier email.",
            label=label,
        ),
        link="/",
    )


def invitation_unanswered_inviter(
    t: Texts, label: str, case_id: int, name: str, expires: datetime
) -> Words:
    """To the person whose invitation has not been answered."""
    return Words(
        subject=t.gettext("Your invitation in {label} is not answered yet", label=label),
        paragraphs=(
            t.gettext(
                "{name} has not answered your invitation to mediation {label} yet. We have sent "
                "them a reminder.",
                name=name,
                label=label,
            ),
            t.gettext(
                "The invitation can be used until {day}. You can send it again, to the same or "
                "another address, from your case page.",
                day=t.format_day(expires),
            ),
        ),
        text=t.gettext("ODR: your invitation in {label} is not answered yet.", label=label),
        link=_case(case_id),
    )


def consent_missing(t: Texts, label: str, case_id: int) -> Words:
    """To a party who has not agreed to mediate yet."""
    return Words(
        subject=t.gettext(
            "Mediation {label} is waiting for your agreement to mediate", label=label
        ),
        paragraphs=(
            t.gettext(
                "Mediation {label} cannot start until you read and accept the agreement to "
                "mediate. Please open your case to do so.",
                label=label,
            ),
        ),
        text=t.gettext("ODR: mediation {label} waits for your agreement to mediate.", label=label),
        link=_case(case_id),
    )


def mediator_unassigned(t: Texts, label: str, case_id: int, days: int) -> Words:
    """To the centre's admins: a case ready for a mediator has none."""
    return Words(
        subject=t.ngettext(
            "No mediator assigned to {label} for {n} day",
            "No mediator assigned to {label} for {n} days",
            days,
            label=label,
        ),
        paragraphs=(
            t.ngettext(
                "Both sides of {label} agreed to mediate {n} or more day ago and no mediator "
                "has been assigned yet.",
                "Both sides of {label} agreed to mediate {n} or more days ago and no mediator "
                "has been assigned yet.",
                days,
                label=label,
            ),
        ),
        text=t.ngettext(
            "ODR: {label} has waited {n} day for a mediator.",
            "ODR: {label} has waited {n} days for a mediator.",
            days,
            label=label,
        ),
        link=_case(case_id),
    )


def signature_waiting(t: Texts, label: str, case_id: int) -> Words:
    """To a party whose side has not signed the agreement."""
    return Words(
        subject=t.gettext("The agreement in {label} is waiting for your signature", label=label),
        paragraphs=(
            t.gettext(
                "The settlement agreement in mediation {label} is ready and your side has not "
                "signed it yet. Please read it and sign it on the mediation site, or tell your "
                "mediator if something is wrong.",
                label=label,
            ),
        ),
        text=t.gettext("ODR: the agreement in {label} waits for your signature.", label=label),
        link=_case(case_id),
    )


def offer_expiring(t: Texts, label: str, case_id: int, deadline: datetime) -> Words:
    """To a party who has an offer to answer that expires within a day (when, in their zone)."""
    when = t.format_moment(deadline)
    return Words(
        subject=t.gettext("An offer in {label} expires soon", label=label),
        paragraphs=(
            t.gettext(
                "An offer in mediation {label} is waiting for your answer and expires on {when}. "
                "Please open your case to read it and answer.",
                label=label,
                when=when,
            ),
        ),
        text=t.gettext("ODR: an offer in {label} expires {when}.", label=label, when=when),
        link=_case(case_id),
    )


def hearing_approaching(t: Texts, label: str, case_id: int, hearing: date, days: int) -> Words:
    """To everyone in a case whose court date is near with no agreement yet."""
    day = t.format_date(hearing)
    return Words(
        subject=t.ngettext(
            "Your court date in {label} is in {n} day",
            "Your court date in {label} is in {n} days",
            days,
            label=label,
        ),
        paragraphs=(
            t.gettext(
                "Your court hearing in {label} is on {day} and the mediation has not reached an "
                "agreement yet.",
                label=label,
                day=day,
            ),
            t.gettext(
                "Mediation must finish before your court date. If you do not reach an "
                "agreement, the hearing goes ahead as planned and you should attend it."
            ),
        ),
        text=t.gettext(
            "ODR: court date in {label} is {day}. Mediation must finish before your court date.",
            label=label,
            day=day,
        ),
        link=_case(case_id),
    )
