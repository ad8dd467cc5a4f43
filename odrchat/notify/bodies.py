"""Request and response bodies of the notification endpoints."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field

from odrchat.bodies import PHONE, Body, Flag, IntChoice, Reply, Text
from odrchat.notify.prefs import AWAY_DELAYS

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


# -- notification preferences -----------------------------------------------------------------

CLOCK = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
Clock = Annotated[str, Text(5, 5, pattern=CLOCK, pattern_message="is a time like 21:00")]
OnOff = Annotated[bool, Flag()]


class ChannelChoice(Body):
    """Email and/or text for one kind of notice; a field left out keeps its value."""

    email: OnOff | None = Field(None, description="false is refused for a required kind")
    sms: OnOff | None = None


class QuietHours(Body):
    start: Clock = Field(description="local time when texts stop, e.g. 21:00")
    end: Clock = Field(description="local time when held texts go, e.g. 08:00")


class SetNotifications(Body):
    """Change my notification settings; a field left out keeps its value, null resets it."""

    case: ChannelChoice | None = None
    offers: ChannelChoice | None = None
    updates: ChannelChoice | None = None
    messages: ChannelChoice | None = None
    reminders: ChannelChoice | None = None
    quiet_hours: QuietHours | None = Field(None, description="null: no quiet hours")
    time_zone: Annotated[str, Text(64, 1)] | None = Field(
        None, description="an IANA time zone such as America/Los_Angeles; null: the centre's"
    )
    away_delay: Annotated[int, IntChoice(AWAY_DELAYS)] | None = Field(
        None,
        description="minutes news waits, while I am away, before a notice; null: 10",
    )


class TopicChoice(Reply):
    email: bool
    sms: bool
    required: bool = Field(description="the email cannot be turned off (the page says why)")


class QuietWindow(Reply):
    start: str
    end: str


class NotificationSettings(Reply):
    """Which channel each kind of notice takes, quiet hours for texts, and my time zone."""

    case: TopicChoice
    offers: TopicChoice
    updates: TopicChoice
    messages: TopicChoice
    reminders: TopicChoice
    quiet_hours: QuietWindow | None
    time_zone: str | None = Field(description="my choice; null means the centre's")
    centre_time_zone: str
    away_delay: int = Field(
        description="minutes news in a room waits, while I am not there, before a notice"
    )
    away_delays: list[int] = Field(description="the choices for away_delay, in minutes")
    texts_possible: bool = Field(description="a phone number is on the account")
