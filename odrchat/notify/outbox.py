"""The durable outbox: enqueue inside the caller's transaction, send later, retry with backoff.

Invariants and honest gaps:

* ``enqueue`` only inserts a row in the caller's session. The message exists iff the action that
  caused it commits, and an SMTP outage can never fail that action. A ``dedupe_key`` makes the
  insert idempotent (``ON CONFLICT DO NOTHING``), also between concurrent transactions.
* A worker claims due rows in one short transaction: ``attempts += 1`` and ``next_attempt_at =
  now + lease``. On PostgreSQL the select uses ``FOR UPDATE SKIP LOCKED`` so workers neither wait
  for nor double-claim each other's rows; on SQLite ``BEGIN IMMEDIATE`` serialises the claims.
* ``attempts`` is the fencing token: results are written only where it still matches the claim.
* A worker stops starting sends once half its lease has passed, and bounds each send by a quarter
  of it, so it never sends a row another worker could have reclaimed (barring clock skew larger
  than a quarter lease between workers).
* Delivery is at least once, not exactly once: a worker that dies after the SMTP server accepted
  a message but before recording it will have that message sent again when the lease expires.
* Failures back off exponentially with jitter; after ``max_attempts``, or at once for a permanent
  refusal, the row is ``dead`` and logged at ERROR. ``last_error`` never holds a body.
* ``sent`` means a server (SMTP, an SMS provider) accepted the message, nothing less. A sender
  that withholds a message on purpose (no provider configured, a number not confirmed or opted
  out) raises ``Withheld``: the row becomes ``unsent`` with the reason in ``last_error`` and is
  never retried (configuring a provider later does not send stale texts).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Update, func, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from odrchat.background import stop_if_cancelled
from odrchat.notify.channel import AnyChannel, Renderer
from odrchat.notify.email import DeliveryError, Message, Withheld
from odrchat.notify.sms import SmsRenderer
from odrchat.notify.smtp import EmailRenderer
from odrchat.notify.tables import DEAD, LAST_ERROR_MAX, PENDING, SENT, UNSENT, OutboxMessage
from odrchat.store.db import Database
from odrchat.store.types import utcnow

__all__ = [
    "RENDERERS",
    "OutboxMessage",
    "OutboxSender",
    "backlog",
    "backoff_delay",
    "enqueue",
    "message_of",
]

logger = logging.getLogger("odrchat.notify")

# Every kind of message the outbox can hold. A running server sends the channels it was given
# (create_app); a row of a channel it was not given is marked dead, never sent another way.
RENDERERS: tuple[Renderer[Any], ...] = (EmailRenderer(), SmsRenderer())
_BY_TYPE: dict[type, Renderer[Any]] = {r.message_type: r for r in RENDERERS}
_BY_NAME: dict[str, Renderer[Any]] = {r.name: r for r in RENDERERS}


async def enqueue(
    session: AsyncSession,
    message: Message,
    *,
    dedupe_key: str | None = None,
    now: datetime | None = None,
    not_before: datetime | None = None,
) -> int | None:
    """Add a message inside the caller's transaction; None if dedupe_key was already used.

    ``not_before`` holds it until then (a text in the recipient's quiet hours).
    """
    now = now or utcnow()
    renderer = _BY_TYPE[type(message)]
    rendered = renderer.render(message)
    values: dict[str, object] = {
        "channel": renderer.name,
        "recipient": rendered.recipient,
        "subject": rendered.subject,
        "body_text": rendered.body_text,
        "body_html": rendered.body_html,
        "attachments": rendered.attachments,
        "headers": rendered.headers,
        "status": PENDING,
        "attempts": 0,
        "next_attempt_at": max(now, not_before) if not_before else now,
        "created_at": now,
        "dedupe_key": dedupe_key,
    }
    if session.get_bind().dialect.name == "postgresql":
        pg_stmt = pg_insert(OutboxMessage).values(values)
        if dedupe_key is not None:
            pg_stmt = pg_stmt.on_conflict_do_nothing(index_elements=["dedupe_key"])
        result = await session.exec(pg_stmt.returning(col(OutboxMessage.id)))
    else:
        lite_stmt = sqlite_insert(OutboxMessage).values(values)
        if dedupe_key is not None:
            lite_stmt = lite_stmt.on_conflict_do_nothing(index_elements=["dedupe_key"])
        result = await session.exec(lite_stmt.returning(col(OutboxMessage.id)))
    new_id: int | None = result.scalar_one_or_none()
    return new_id


def message_of(row: OutboxMessage) -> Message:
    """Rebuild the message a row was made from."""
    message: Message = _BY_NAME[row.channel].restore(row)
    return message


def backoff_delay(
    attempts: int, base: float, cap: float, rng: random.Random | random.SystemRandom
) -> float:
    """Seconds to wait after the given number of failed attempts: exponential, capped, jittered."""
    ceiling = min(cap, base * 2.0 ** min(attempts - 1, 60))
    # "Equal jitter": never less than half the ceiling, so retries still spread out over time.
    return rng.uniform(ceiling / 2, ceiling)


@dataclass(frozen=True, slots=True)
class _Claim:
    id: int
    attempts: int
    channel: AnyChannel
    message: object


class OutboxSender:
    """Sends due outbox rows through their channels' senders; run() is its worker loop."""

    def __init__(
        self,
        db: Database,
        channels: Iterable[AnyChannel],
        *,
        base_delay: float = 2.0,
        max_delay: float = 600.0,
        max_attempts: int = 50,
        batch: int = 50,
        lease: float = 300.0,
        tick: float = 5.0,
        rng: random.Random | None = None,
    ) -> None:
        self.db = db
        self.channels: dict[str, AnyChannel] = {}
        for channel in channels:
            if channel.name not in _BY_NAME:
                raise ValueError(f"channel {channel.name!r} has no renderer in RENDERERS")
            self.channels[channel.name] = channel
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.max_attempts = max_attempts
        self.batch = batch
        self.lease = lease
        self.tick = tick
        self._rng: random.Random | random.SystemRandom = rng or random.SystemRandom()
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Look for due messages now; call after the enqueuing transaction commits."""
        self._wake.set()

    async def run(self) -> None:
        """Send due messages until cancelled; survives any per-pass failure."""
        logger.info("outbox sender started")
        while True:
            # A library that drops a cancellation (3.11's wait_for can) must not keep us alive.
            stop_if_cancelled()
            # Cleared before the pass, so a wake() during the pass triggers another one.
            self._wake.clear()
            try:
                await self.send_due(utcnow())
                delay = await self._idle_delay(utcnow())
            except Exception:  # supervision boundary: a database outage must not end the worker
                logger.exception("outbox pass failed; retrying in %.0fs", self.tick)
                delay = self.tick
            if delay > 0:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(delay):
                        await self._wake.wait()

    async def send_due(self, now: datetime) -> int:
        """Claim and send the messages due at ``now`` (one batch); return how many were sent."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        claims = await self._claim(now)
        sent = 0
        for index, claim in enumerate(claims):
            if loop.time() - started > self.lease / 2:
                await self._release(claims[index:], now)
                break
            if await self._deliver(claim, now):
                sent += 1
        return sent

    async def _claim(self, now: datetime) -> list[_Claim]:
        stmt = (
            select(OutboxMessage)
            .where(col(OutboxMessage.status) == PENDING, col(OutboxMessage.next_attempt_at) <= now)
            .order_by(col(OutboxMessage.next_attempt_at), col(OutboxMessage.id))
            .limit(self.batch)
        )
        if not self.db.is_sqlite:
            stmt = stmt.with_for_update(skip_locked=True)
        claims: list[_Claim] = []
        async with self.db.session() as session:
            for row in (await session.exec(stmt)).all():
                assert row.id is not None
                channel = self.channels.get(row.channel)
                if channel is None or row.attempts >= self.max_attempts:
                    # Either no sender for it here (a channel removed from the configuration),
                    # or its last attempt was claimed by a worker that never reported back.
                    row.status = DEAD
                    row.last_error = (
                        f"no channel {row.channel!r} in this server"
                        if channel is None
                        else "lease expired on the final attempt"
                    )
                    logger.error(
                        "outbox message %d (%s) is dead: %s", row.id, row.channel, row.last_error
                    )
                    continue
                row.attempts += 1
                row.next_attempt_at = now + timedelta(seconds=self.lease)
                message = channel.renderer.restore(row)
                claims.append(
                    _Claim(id=row.id, attempts=row.attempts, channel=channel, message=message)
                )
        return claims

    async def _deliver(self, claim: _Claim, now: datetime) -> bool:
        try:
            async with asyncio.timeout(self.lease / 4):
                await claim.channel.sender.send(claim.message)
        except Withheld as exc:
            await self._record_unsent(claim, exc.reason)
            return False
        except DeliveryError as exc:
            await self._record_failure(
                claim, now, f"{type(exc).__name__}: {exc.reason}", permanent=exc.permanent
            )
            return False
        except TimeoutError:
            await self._record_failure(claim, now, "send timed out", permanent=False)
            return False
        except Exception as exc:  # supervision boundary: a sender bug must not stop the outbox
            logger.exception("outbox message %d: unexpected error while sending", claim.id)
            # Only the type: an arbitrary exception's text might quote the message body.
            await self._record_failure(claim, now, type(exc).__name__, permanent=False)
            return False
        # The message is out: write that down even if we are being cancelled meanwhile
        # (a deploy restart), or it would go out again when the lease ends.
        recording = asyncio.ensure_future(self._record_sent(claim))
        try:
            await asyncio.shield(recording)
        except asyncio.CancelledError:
            # Shielded again: the lifespan may cancel a slow stop more than once
            # (odrchat.background.stop), and a cancelled write would leave a sent message
            # pending, to go out again when its lease ends.
            while not recording.done():
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.shield(recording)
            raise
        return True

    async def _record_sent(self, claim: _Claim) -> None:
        stmt = _fenced_update(claim).values(status=SENT, sent_at=utcnow(), last_error=None)
        async with self.db.session() as session:
            if (await session.exec(stmt)).rowcount == 0:
                logger.warning("outbox message %d sent after its claim was lost", claim.id)
                return
        logger.info("outbox message %d sent (%s)", claim.id, claim.channel.name)

    async def _record_unsent(self, claim: _Claim, reason: str) -> None:
        stmt = _fenced_update(claim).values(status=UNSENT, last_error=reason[:LAST_ERROR_MAX])
        async with self.db.session() as session:
            await session.exec(stmt)
        logger.warning("outbox message %d (%s): %s", claim.id, claim.channel.name, reason)

    async def _record_failure(
        self, claim: _Claim, now: datetime, error: str, *, permanent: bool
    ) -> None:
        error = error[:LAST_ERROR_MAX]
        if permanent or claim.attempts >= self.max_attempts:
            stmt = _fenced_update(claim).values(status=DEAD, last_error=error)
            logger.error(
                "outbox message %d (%s) is dead after %d attempt(s): %s",
                claim.id,
                claim.channel.name,
                claim.attempts,
                error,
            )
        else:
            delay = backoff_delay(claim.attempts, self.base_delay, self.max_delay, self._rng)
            retry_at = now + timedelta(seconds=delay)
            stmt = _fenced_update(claim).values(next_attempt_at=retry_at, last_error=error)
            logger.warning(
                "outbox message %d attempt %d failed, retrying in %.1fs: %s",
                claim.id,
                claim.attempts,
                delay,
                error,
            )
        async with self.db.session() as session:
            await session.exec(stmt)

    async def _release(self, claims: list[_Claim], now: datetime) -> None:
        # Out of lease time for this pass: hand the rest back untouched for the next one.
        async with self.db.session() as session:
            for claim in claims:
                stmt = _fenced_update(claim).values(
                    attempts=claim.attempts - 1, next_attempt_at=now
                )
                await session.exec(stmt)

    async def _idle_delay(self, now: datetime) -> float:
        stmt = select(func.min(col(OutboxMessage.next_attempt_at))).where(
            col(OutboxMessage.status) == PENDING
        )
        async with self.db.read() as session:  # on SQLite, not behind the write lock
            due: datetime | None = (await session.exec(stmt)).one()
        if due is None:
            return self.tick
        return min(max((due - now).total_seconds(), 0.0), self.tick)


async def backlog(session: AsyncSession) -> dict[str, dict[str, int]]:
    """How many outbox rows each channel has in each status."""
    stmt = select(col(OutboxMessage.channel), col(OutboxMessage.status), func.count()).group_by(
        col(OutboxMessage.channel), col(OutboxMessage.status)
    )
    counts: dict[str, dict[str, int]] = {}
    for channel, status, count in (await session.exec(stmt)).all():
        counts.setdefault(channel, {})[status] = count
    return counts


def _fenced_update(claim: _Claim) -> Update:
    return update(OutboxMessage).where(
        col(OutboxMessage.id) == claim.id,
        col(OutboxMessage.attempts) == claim.attempts,
        col(OutboxMessage.status) == PENDING,
    )
