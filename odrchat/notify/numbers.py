"""Confirmed and opted-out phone numbers, the one-time codes that confirm them, and the gate every
text passes when the outbox sends it.

Invariants:

* ``users.phone`` holds only a number its user confirmed with a code: ``start`` texts a code to
  the number, ``confirm`` checks it and only then stores the number. A number typed anywhere else
  (an invitation's phone of the other side) is never confirmed by being typed.
* ``SmsGate`` decides at send time, in the outbox, so a STOP that arrives after a text was queued
  still stops it: a text goes out only to a valid E.164 number that someone confirmed and that has
  not opted out. A confirmation code may go to an unconfirmed number, never to an opted-out one.
  What the gate withholds is recorded "unsent" with the reason, never "sent".
* A code is six digits, lives ``CODE_TTL``, allows ``MAX_TRIES`` wrong guesses, and can be
  replaced at most every ``RESEND_AFTER``. Only an HMAC of it (keyed with SECRET_KEY) is stored.

Known gap: confirming proves the number received the code when it was sent; if the number later
changes hands, texts keep going to it until its owner removes it or the new holder texts STOP.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from odrchat.auth.tables import User
from odrchat.errors import Conflict, Invalid, TooMany
from odrchat.i18n import N_
from odrchat.notify import texts
from odrchat.notify.email import SmsMessage, Withheld
from odrchat.notify.outbox import enqueue
from odrchat.notify.phone import InvalidPhone, to_e164
from odrchat.notify.replies import Keyword
from odrchat.notify.sms import RecipientOptedOut, SmsSender
from odrchat.notify.tables import InboundReply, PhoneCode, PhoneNumber
from odrchat.store.db import Database
from odrchat.store.types import utcnow

__all__ = [
    "CODE_TTL",
    "MAX_TRIES",
    "RESEND_AFTER",
    "PhoneStatus",
    "SmsGate",
    "confirm",
    "normalise",
    "record_reply",
    "remove",
    "start",
    "status",
]

CODE_TTL = timedelta(minutes=10)
MAX_TRIES = 5
RESEND_AFTER = timedelta(seconds=60)


def normalise(raw: str) -> str:
    """E.164 for a typed number, or Invalid (422) naming the phone field."""
    try:
        return to_e164(raw)
    except InvalidPhone as exc:
        raise Invalid(N_("Please check the phone number."), fields={"phone": str(exc)}) from None


def _code_hash(secret: str, user_id: int, number: str, code: str) -> str:
    message = f"{user_id}:{number}:{code}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


async def start(s: AsyncSession, secret: str, user: User, raw: str, *, now: datetime) -> str:
    """Text a fresh code to the number (replacing any pending one); returns it in E.164."""
    assert user.id is not None
    number = normalise(raw)
    known = await s.get(PhoneNumber, number)
    if known is not None and known.opted_out_at is not None:
        raise Conflict(texts.NUMBER_OPTED_OUT)
    pending = await s.get(PhoneCode, user.id, with_for_update=True)
    if pending is not None and now - pending.sent_at < RESEND_AFTER:
        wait = RESEND_AFTER - (now - pending.sent_at)
        raise TooMany(texts.RESEND_WAIT, retry_after=max(1, int(wait.total_seconds()) + 1))
    code = f"{secrets.randbelow(10**6):06d}"
    if pending is None:
        pending = PhoneCode(
            user_id=user.id, number=number, code_hash="", sent_at=now, expires_at=now
        )
    pending.number = number
    pending.code_hash = _code_hash(secret, user.id, number, code)
    pending.attempts = 0
    pending.sent_at = now
    pending.expires_at = now + CODE_TTL
    s.add(pending)
    minutes = int(CODE_TTL.total_seconds() // 60)
    await enqueue(s, SmsMessage(number, texts.confirmation_code(code, minutes), kind="code"))
    return number


async def confirm(
    s: AsyncSession, secret: str, user: User, code: str, *, now: datetime
) -> str | None:
    """Check a code; on success store the number as the user's and return it.

    A wrong code returns None after counting the try (the caller commits, then reports it), so
    the count survives; no code, an expired one or one tried too often raise Invalid.
    """
    assert user.id is not None
    pending = await s.get(PhoneCode, user.id, with_for_update=True)
    if pending is None:
        raise Invalid(texts.NO_CODE)
    if now >= pending.expires_at or pending.attempts >= MAX_TRIES:
        await s.delete(pending)
        raise Invalid(texts.CODE_EXPIRED)
    given = _code_hash(secret, user.id, pending.number, code.strip())
    if not hmac.compare_digest(given, pending.code_hash):
        pending.attempts += 1
        s.add(pending)
        return None
    number = pending.number
    await s.delete(pending)
    known = await s.get(PhoneNumber, number) or PhoneNumber(number=number)
    known.user_id = user.id
    known.confirmed_at = now
    known.updated_at = now
    s.add(known)
    user.phone = number
    s.add(user)
    return number


async def remove(s: AsyncSession, user: User) -> None:
    """Forget the user's number and any pending code (texts to it stop being the user's)."""
    assert user.id is not None
    await s.exec(delete(PhoneCode).where(col(PhoneCode.user_id) == user.id))
    user.phone = None
    s.add(user)


async def record_reply(
    s: AsyncSession, key: str, number: str, word: Keyword, *, now: datetime
) -> bool:
    """Act on a reply once: STOP opts the number out, START back in; False for a replay."""
    insert = pg_insert if s.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = (
        insert(InboundReply)
        .values(key=key, received_at=now)
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(col(InboundReply.key))
    )
    if (await s.exec(stmt)).scalar_one_or_none() is None:
        return False
    if word in (Keyword.STOP, Keyword.START):
        known = await s.get(PhoneNumber, number, with_for_update=True) or PhoneNumber(number=number)
        known.opted_out_at = now if word is Keyword.STOP else None
        known.updated_at = now
        s.add(known)
    return True


@dataclass(frozen=True, slots=True)
class PhoneStatus:
    """What the owner sees about their number."""

    phone: str | None
    pending: str | None
    opted_out: bool

    def to_json(self) -> dict[str, object]:
        return {"phone": self.phone, "pending": self.pending, "opted_out": self.opted_out}


async def status(s: AsyncSession, user: User, *, now: datetime) -> PhoneStatus:
    """The user's confirmed number, a number waiting for its code, and whether it said STOP."""
    assert user.id is not None
    pending = await s.get(PhoneCode, user.id)
    waiting = pending.number if pending is not None and now < pending.expires_at else None
    known = await s.get(PhoneNumber, user.phone) if user.phone else None
    return PhoneStatus(
        phone=user.phone,
        pending=waiting,
        opted_out=known is not None and known.opted_out_at is not None,
    )


class SmsGate:
    """Wraps the provider's sender: checks the number's state when the text is about to go."""

    def __init__(self, db: Database, inner: SmsSender) -> None:
        self.db = db
        self.inner = inner

    @property
    def provider(self) -> str:
        return self.inner.provider

    async def send(self, message: SmsMessage) -> None:
        """Send through the provider, or raise Withheld saying why the text may not go."""
        if self.inner.provider == "off":
            await self.inner.send(message)  # raises NotConfigured: that reason says most
            return
        try:
            number = to_e164(message.to)
        except InvalidPhone:
            raise Withheld(texts.NOT_A_NUMBER) from None
        async with self.db.read() as s:
            known = await s.get(PhoneNumber, number)
        if known is not None and known.opted_out_at is not None:
            raise Withheld(texts.OPTED_OUT)
        if message.kind != "code" and (known is None or known.confirmed_at is None):
            raise Withheld(texts.NOT_CONFIRMED)
        try:
            await self.inner.send(SmsMessage(number, message.text, message.kind))
        except RecipientOptedOut:
            # The STOP reached the provider but not us (a missed webhook): remember it here too.
            await self._opt_out(number)
            raise Withheld(texts.OPTED_OUT) from None

    async def _opt_out(self, number: str) -> None:
        now = utcnow()
        async with self.db.session() as s:
            known = await s.get(PhoneNumber, number, with_for_update=True) or PhoneNumber(
                number=number
            )
            known.opted_out_at = now
            known.updated_at = now
            s.add(known)

    async def aclose(self) -> None:
        """Close the provider's sender."""
        await self.inner.aclose()
