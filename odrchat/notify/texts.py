"""Words people read about their phone number: the texts we send and the answers the API gives.

Kept together so a message catalog (Spanish is coming) can reach them. A text never carries
mediation content, and stays within one 160-character segment where it can.
"""

from __future__ import annotations

__all__ = [
    "CODE_EXPIRED",
    "CODE_WRONG",
    "NOT_A_NUMBER",
    "NOT_CONFIRMED",
    "NO_CODE",
    "NUMBER_OPTED_OUT",
    "OPTED_OUT",
    "RESEND_WAIT",
    "confirmation_code",
    "help_reply",
]


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
