"""What the survey tells people by email and text, and its refusals (catalog msgids).

The email carries the one-time link; the text message only says an email was sent (texts carry
no tokens). Neither names the other side, the mediator or anything said in the case.
"""

from __future__ import annotations

from datetime import datetime

from odrchat.i18n import N_, Texts
from odrchat.notify.email import EmailMessage, SmsMessage, build_email
from odrchat.notify.texts import with_settings_link

UNKNOWN = N_("This survey link is not valid.")
ANSWERED = N_("This survey has been answered already. Thank you.")
EXPIRED = N_("This survey link has expired.")
NOTHING = N_("Please answer at least one question.")


def survey_link(public_url: str, token: str) -> str:
    return f"{public_url}/#/survey/{token}"


def survey_email(
    t: Texts, to: str, name: str, public_url: str, token: str, expires_at: datetime
) -> EmailMessage:
    """The invitation to the survey, in the party's language."""
    return build_email(
        to,
        t.gettext("How was your mediation? Four short questions"),
        [
            t.gettext("Hello {name},", name=name),
            t.gettext(
                "Your mediation has ended. Please tell us how it went: four questions and a "
                "comment if you like, about two minutes."
            ),
            t.gettext(
                "Your answers are anonymous. They are kept apart from your name and your case, "
                "your mediator never sees them, and we only report totals of at least five "
                "answers. Answering is up to you and changes nothing in your case."
            ),
        ],
        (t.gettext("Answer the survey"), survey_link(public_url, token)),
        with_settings_link(
            t,
            public_url,
            t.gettext(
                "This link works once and expires on {date}.",
                date=t.format_day(expires_at),
            ),
        ),
    )


def survey_sms(t: Texts, to: str) -> SmsMessage:
    """The text: a pointer to the email (the link itself goes by email only)."""
    return SmsMessage(
        to=to,
        text=t.gettext(
            "ODR: your mediation has ended. We emailed you a short anonymous survey about it."
        ),
    )
