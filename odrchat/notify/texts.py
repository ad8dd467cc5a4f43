"""Words people read about their phone number: the texts we send and the answers the API gives.

Kept together so a message catalog (Spanish is coming) can reach them. A text never carries
mediation content, and stays within one 160-character segment where it can.
"""

from __future__ import annotations

from collections.abc import Sequence

from odrchat.i18n import N_, Texts

__all__ = [
    "BAD_ZONE",
    "CODE_EXPIRED",
    "CODE_WRONG",
    "NOT_A_NUMBER",
    "NOT_CONFIRMED",
    "NO_CODE",
    "NUMBER_OPTED_OUT",
    "OPEN_CASE",
    "OPEN_SITE",
    "OPTED_OUT",
    "REQUIRED_EMAIL",
    "RESEND_WAIT",
    "UNSUBSCRIBE_BAD",
    "UNSUBSCRIBE_BAD_TEXT",
    "UNSUBSCRIBE_BUTTON",
    "UNSUBSCRIBE_DONE",
    "UNSUBSCRIBE_SETTINGS",
    "away_paragraphs",
    "away_subject",
    "away_text",
    "confirmation_code",
    "greeting",
    "help_reply",
    "room_words",
    "settings_footer",
    "topic_words",
    "unsubscribe_footer",
    "unsubscribe_question",
    "unsubscribed",
    "with_settings_link",
]

ACCOUNT_PATH = "/#/account"  # the Account page, where notification settings live
OPEN_CASE = N_("Open your case")
OPEN_SITE = N_("Open the mediation site")


def greeting(t: Texts, name: str, paragraphs: Sequence[str]) -> list[str]:
    """The paragraphs of a notice, after "Hello <name>," when we know the name."""
    return [t.gettext("Hello {name},", name=name), *paragraphs] if name else list(paragraphs)


def settings_footer(t: Texts, settings_link: str) -> str:
    """The footer of an email the person cannot turn off (a required notice)."""
    return t.gettext(
        "We must send you this notice about your case, so it cannot be turned off. You can "
        "choose text messages and quiet hours in your notification settings: {link}",
        link=settings_link,
    )


def with_settings_link(t: Texts, public_url: str, footer: str | None = None) -> str:
    """An email's footer ending with the link to the notification settings (issue 13: every
    email to someone with an account carries it; invitations go to people without one)."""
    line = t.gettext("Your notification settings: {link}", link=public_url + ACCOUNT_PATH)
    return f"{footer}\n{line}" if footer else line


def unsubscribe_footer(t: Texts, settings_link: str, stop_link: str) -> str:
    """The footer of an optional email: where to choose, and one link to stop this kind."""
    return t.gettext(
        "Your notification settings: {settings} -- Stop emails like this one: {stop}",
        settings=settings_link,
        stop=stop_link,
    )


_ROOMS = {
    "joint": N_("the joint conversation"),
    "private": N_("a private conversation with the mediator"),
    "mediators": N_("the mediators' conversation"),
}
_SOME_ROOM = N_("a conversation")


def room_words(t: Texts, kind: str) -> str:
    """A room as a notice names it (never its content)."""
    return t.gettext(_ROOMS.get(kind, _SOME_ROOM))


def away_subject(t: Texts, case_number: str) -> str:
    """The subject of the email telling an away participant that their case has news."""
    return t.gettext("News in your mediation {number}", number=case_number)


def away_paragraphs(t: Texts, case_number: str, where: str) -> tuple[str, ...]:
    """What that email says: where the news is, never what it is."""
    return (
        t.gettext(
            "There is something new in {where} of your case {number} since you last looked.",
            where=where,
            number=case_number,
        ),
        t.gettext(
            "Mediation is confidential, so this email does not say what was written or "
            "offered. Please read it on the mediation site."
        ),
        t.gettext("You get at most one such notice per conversation per hour."),
    )


def away_text(t: Texts, case_number: str) -> str:
    """The text telling an away participant that their case has news (the link follows)."""
    return t.gettext("ODR: news in your mediation {number}. Details:", number=case_number)


def help_reply(public_url: str) -> str:
    """The answer to HELP (or INFO): who is texting, how to stop, where to look."""
    return (
        f"ODR mediation: texts about your mediation case. Reply STOP to end texts, START to "
        f"get them again. Your case and settings: {public_url}"
    )


def confirmation_code(code: str, minutes: int) -> str:
    """The text carrying a one-time code (the only text an unconfirmed number may get)."""
    return (
        f"ODR mediation: your code is {code}. Enter it on your Account page to get texts "
        f"about your case. It expires in {minutes} minutes. Reply STOP to opt out."
    )


NO_CODE = "No code is waiting for this account. Ask for a new one."
CODE_EXPIRED = "That code has expired or was tried too often. Ask for a new one."
CODE_WRONG = "That code is not right. Check the text and try again."
RESEND_WAIT = "A code was sent a moment ago. Please wait a minute before asking again."
NUMBER_OPTED_OUT = (
    "This number asked us to stop texting it (STOP). Text START to our number first, "
    "then ask for a code again."
)

BAD_ZONE = N_("is not a time zone we know; choose one such as America/Los_Angeles")
REQUIRED_EMAIL = N_(
    "cannot be turned off: the centre must be able to reach you by email about your case, "
    "offers and signatures"
)

_TOPICS = {
    "case": N_("your case"),
    "offers": N_("offers, the agreement and signatures"),
    "updates": N_("how your case is going"),
    "messages": N_("new messages while you are away"),
    "reminders": N_("reminders"),
}


def topic_words(t: Texts, topic: str) -> str:
    """A kind of notice, as the unsubscribe page names it."""
    return t.gettext(_TOPICS[topic]) if topic in _TOPICS else topic


def unsubscribe_question(t: Texts, what: str) -> str:
    """The unsubscribe page's question, before the one button."""
    return t.gettext("Stop emails about {what}?", what=what)


def unsubscribed(t: Texts, what: str) -> str:
    """What the unsubscribe page says once it is done."""
    return t.gettext(
        "You will get no more emails about {what}. Emails about your case, offers and "
        "signatures still come: the centre must be able to reach you about them.",
        what=what,
    )


UNSUBSCRIBE_BUTTON = N_("Yes, stop these emails")
UNSUBSCRIBE_DONE = N_("Done")
UNSUBSCRIBE_SETTINGS = N_("All your notification settings (log in first)")
UNSUBSCRIBE_BAD = N_("This link does not work")
UNSUBSCRIBE_BAD_TEXT = N_(
    "It may have been copied incompletely. You can change which emails you get on your "
    "Account page."
)

# Reasons an outbox row gives for a text it did not send (the administration reads these).
NOT_CONFIRMED = "not sent: number not confirmed"
OPTED_OUT = "not sent: the number opted out (STOP)"
NOT_A_NUMBER = "not sent: not a valid phone number"
