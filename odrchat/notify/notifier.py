"""Telling one person something: their channel choices, quiet hours and the links every email has.

The notifier queues (inside the caller's transaction) the email and the text a person chose for a
topic. Every email it builds ends with a link to the Account page's notification settings; an
email of an optional topic also has a one-click unsubscribe link (signed, no login needed) and
the matching ``List-Unsubscribe`` and ``List-Unsubscribe-Post`` headers (RFC 2369, RFC 8058).
A text due in the person's quiet hours waits in the outbox until they end.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from odrchat.auth.tables import User
from odrchat.auth.tokens import same, sign
from odrchat.i18n import Texts, texts_for
from odrchat.notify import prefs as p
from odrchat.notify import texts
from odrchat.notify.email import SmsMessage, build_email
from odrchat.notify.outbox import enqueue

__all__ = ["Notifier", "Words", "WordsFor", "prefs_of", "read_unsubscribe", "reader_of", "zone_of"]

UNSUBSCRIBE = "unsubscribe"  # the signing purpose of unsubscribe tokens
ACCOUNT_PATH = texts.ACCOUNT_PATH


@dataclass(frozen=True, slots=True)
class Words:
    """What a notice says: an email subject and paragraphs, a short text, a link on the site.

    Never mediation content: no message text, no offer terms.
    """

    subject: str
    paragraphs: tuple[str, ...]
    text: str  # the text message, ideally one 160-character segment (the link is appended)
    link: str  # a path on the site, e.g. "/#/cases/3" (or a full address on it)
    action: str = ""  # the link's label in the email ("" for the default)


WordsFor = Callable[[Texts], Words]  # a notice written once its reader's `Texts` are known


def zone_of(user: User, centre: ZoneInfo) -> ZoneInfo:
    """The time zone a user reads times in: their choice, else the centre's."""
    if user.time_zone and p.valid_zone(user.time_zone):
        return ZoneInfo(user.time_zone)
    return centre


def reader_of(user: User, centre: ZoneInfo) -> Texts:
    """A user's language and time zone: what a notice to them is written with."""
    return texts_for(user.language, zone_of(user, centre))


def _written(words: Words | WordsFor, t: Texts) -> Words:
    return words if isinstance(words, Words) else words(t)


def prefs_of(user: User, centre: ZoneInfo) -> p.Prefs:
    """A user's choices as the pure rules read them."""
    zone = zone_of(user, centre)
    quiet = None
    if user.quiet_from is not None and user.quiet_until is not None:
        quiet = (_clock(user.quiet_from), _clock(user.quiet_until))
    return p.Prefs(p.decode(user.notify_prefs), user.notify_optional, zone, quiet)


def _clock(minutes: int) -> time:
    minutes %= 24 * 60
    return time(minutes // 60, minutes % 60)


def unsubscribe_token(secret: str, user_id: int, topic: str) -> str:
    """A token that turns off emails of one optional topic for one user, with no login."""
    value = f"{user_id}.{topic}"
    return f"{value}.{sign(secret, UNSUBSCRIBE, value)}"


def read_unsubscribe(secret: str, token: str) -> tuple[int, str] | None:
    """The (user id, topic) a token is for, or None if it is not one we signed."""
    user, _, rest = token.partition(".")
    topic, _, mac = rest.partition(".")
    if not user.isdigit() or topic not in p.TOPICS or p.TOPICS[topic].required:
        return None
    if not same(mac, sign(secret, UNSUBSCRIBE, f"{user}.{topic}")):
        return None
    return int(user), topic


class Notifier:
    """Queues notices by each person's choices; one per server, shared by every sender."""

    def __init__(self, public_url: str, secret: str, centre: ZoneInfo) -> None:
        self.public_url = public_url.rstrip("/")
        self._secret = secret
        self.centre = centre

    def link(self, where: str) -> str:
        """A path on the site as a full address (a full address stays as it is)."""
        return where if "://" in where else self.public_url + where

    def unsubscribe_link(self, user_id: int, topic: str) -> str:
        """The one-click unsubscribe address for a topic's emails."""
        return f"{self.public_url}/unsubscribe/{unsubscribe_token(self._secret, user_id, topic)}"

    def read_unsubscribe(self, token: str) -> tuple[int, str] | None:
        """The (user id, topic) of a token from ``unsubscribe_link``, if it is genuine."""
        return read_unsubscribe(self._secret, token)

    def reader(self, user: User) -> Texts:
        """The language and time zone a notice to ``user`` is written in."""
        return reader_of(user, self.centre)

    async def tell(
        self, s: AsyncSession, user: User, topic: str, words: Words | WordsFor, now: datetime
    ) -> bool:
        """Queue this notice to ``user`` by the channels they chose for ``topic``.

        ``words`` may be a builder: it is given the user's language and time zone, so a
        moment in the notice reads in the zone they chose (the centre's when they chose none).
        Returns whether anything was queued (False: they chose neither channel for it).
        """
        assert user.id is not None
        chosen = prefs_of(user, self.centre)
        t = self.reader(user)
        words = _written(words, t)
        link = self.link(words.link)
        queued = False
        if p.wants(chosen, topic, p.EMAIL):
            settings_link = self.public_url + ACCOUNT_PATH
            footer = texts.settings_footer(t, settings_link)
            headers: list[tuple[str, str]] = []
            if not p.TOPICS[topic].required:
                stop = self.unsubscribe_link(user.id, topic)
                footer = texts.unsubscribe_footer(t, settings_link, stop)
                headers = [
                    ("List-Unsubscribe", f"<{stop}>"),
                    ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
                ]
            message = build_email(
                user.email,
                words.subject,
                texts.greeting(t, user.display_name, words.paragraphs),
                (words.action or t.gettext(texts.OPEN_CASE), link),
                footer,
                headers=headers,
            )
            # Due at once by the outbox's own clock (a sweep's ``now`` only decides what to say).
            await enqueue(s, message)
            queued = True
        if user.phone and p.wants(chosen, topic, p.SMS):
            sms = SmsMessage(user.phone, f"{words.text} {link}")
            await enqueue(s, sms, not_before=p.held_until(chosen, now))
            queued = True
        return queued

    async def tell_address(
        self, s: AsyncSession, email: str, name: str, words: Words | WordsFor, language: str
    ) -> None:
        """Queue an email to someone with no account yet (an invitee), in ``language``; its
        moments read in the centre's time zone (they have chosen none)."""
        t = texts_for(language, self.centre)
        words = _written(words, t)
        link = self.link(words.link)
        message = build_email(
            email,
            words.subject,
            texts.greeting(t, name, words.paragraphs),
            (words.action or t.gettext(texts.OPEN_SITE), link),
        )
        await enqueue(s, message)
