"""Request and response bodies of the notification endpoints."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field

from odrchat.bodies import PHONE, Body, Reply, Text

CODE = re.compile(r"^[0-9]{6}$")

# -- requests ---------------------------------------------------------------------------------


class StartPhone(Body):
    phone: Annotated[str, Text(32, 1, pattern=PHONE, pattern_message="is not a phone number")] = (
        Field(description="any common spelling; a North American number needs no +1")
    )


class ConfirmPhone(Body):
    code: Annotated[str, Text(12, 1, pattern=CODE, pattern_message="is six digits")] = Field(
        description="the six digits texted to the number"
    )


# -- responses --------------------------------------------------------------------------------


class PhoneStatus(Reply):
    """My number in full (only its owner sees it unmasked) and a number waiting for its code."""

    phone: str | None = Field(description="the confirmed number, E.164")
    pending: str | None = Field(description="a number waiting for its texted code, E.164")
    opted_out: bool = Field(description="the confirmed number answered STOP")


class CodeSent(Reply):
    status: Literal["code_sent"]
    pending: str = Field(description="the number the code went to, E.164")


class Sms(Reply):
    provider: str = Field(description='where texts go ("twilio", "webhook"), or "off"')
    on: bool


class Email(Reply):
    on: bool = Field(description="false: no SMTP server configured, emails are kept unsent")


class NotifyStatus(Reply):
    """Which channels can send, and the outbox rows per channel and status (never their text)."""

    email: Email
    sms: Sms
    outbox: dict[str, dict[str, int]] = Field(
        description="rows per channel, then per status: pending, sent, unsent, dead"
    )
