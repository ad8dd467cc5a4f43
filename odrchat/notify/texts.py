"""Words people read about their phone number: the texts we send and the answers the API gives.

Kept together so a message catalog (Spanish is coming) can reach them. A text never carries
mediation content, and stays within one 160-character segment where it can.
"""

from __future__ import annotations

from collections.abc import Sequence

from odrchat.notify.email import EmailMessage, build_email

__all__ = [
    "CODE_EXPIRED",
    "CODE_WRONG",
    "NOT_A_NUMBER",
    "NOT_CONFIRMED",
    "NO_CODE",
    "NUMBER_OPTED_OUT",
    "OPEN_CASE",
    "OPEN_SITE",
    "OPTED_OUT",
    "RESEND_WAIT",
    "away_email",
    "away_text",
    "confirmation_code",
    "greeting",
    "help_reply",
    "room_words",
    "settings_footer",
    "unsubscribe_footer",
]

OPEN_CASE = "Open your case"
OPEN_SITE = "Open the mediation site"


def greeting(name: str, paragraphs: Sequence[str]) -> list[str]:
    """The paragraphs of a notice, after "Hello <name>," when we know the name."""
    return [f"Hello {name},", *paragraphs] if name else list(paragraphs)


def settings_footer(settings_link: str) -> str:
    """The footer of an email the person cannot turn off (a required notice)."""
    return (
        "We must send you this notice about your case, so it cannot be turned off. You can "
        f"choose text messages and quiet hours in your notification settings: {settings_link}"
    )


def unsubscribe_footer(settings_link: str, stop_link: str) -> str:
    """The footer of an optional email: where to choose, and one link to stop this kind."""
    return f"Your notification settings: {settings_link} -- Stop emails like this one: {stop_link}"


_ROOMS = {
    "joint": "the joint conversation",
    "private": "a private conversation with the mediator",
    "mediators": "the mediators' conversation",
}


def room_words(kind: str) -> str:
    """A room as a notice names it (never its content)."""
    return _ROOMS.get(kind, "a conversation")


def away_email(to: str, case_number: str, where: str, link: str) -> EmailMessage:
    """The email telling an away participant that a room of their case has news."""
    return build_email(
        to,
        f"News in your mediation {case_number}",
        [
            f"There is something new in {where} of your case {case_number} since you last looked.",
            "Mediation is confidential, so this email does not say what was written or offered. "
            "Please read it on the mediation site.",
        ],
        ("Open your case", link),
        "You get at most one such email per conversation per hour. You can turn off notices "
        "about new messages on your Account page; notices about offers, signatures and the end "
        "of the mediation are always sent.",
    )


def away_text(case_number: str, link: str) -> str:
    """The text telling an away participant that their case has news."""
    return f"ODR: news in your mediation {case_number}. Details: {link}"


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

# Reasons an outbox row gives for a text it did not send (the administration reads these).
NOT_CONFIRMED = "not sent: number not confirmed"
OPTED_OUT = "not sent: the number opted out (STOP)"
NOT_A_NUMBER = "not sent: not a valid phone number"
