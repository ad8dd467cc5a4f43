"""The outbox: atomic enqueue, retries through an SMTP outage, no double sends, dead letters."""

from __future__ import annotations

import asyncio
import logging
import random
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from sqlmodel import col, select

from odrchat import background
from odrchat.notify.channel import Channel, Rendered
from odrchat.notify.email import Attachment, EmailMessage, SmsMessage, build_email
from odrchat.notify.outbox import RENDERERS, OutboxSender, backoff_delay, enqueue, message_of
from odrchat.notify.sms import NO_PROVIDER, NoSmsSender, SmsRenderer, SmsSender
from odrchat.notify.smtp import EmailRenderer, Mailer, MailError
from odrchat.notify.tables import OutboxMessage
from odrchat.store.db import Database
from odrchat.store.types import utcnow

if TYPE_CHECKING:
    from tests.notify.conftest import SmtpServer

WAIT = 10.0
SECRET = "signin-token-SECRET-5a4b3c"
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n\x00\xff\x10 trailer\n%%EOF\n"
HOUR = timedelta(hours=1)


def mail(n: int = 0, to: str = "party@example.org") -> EmailMessage:
    return EmailMessage(to, f"Message {n}", f"Hello {n}, your link: {SECRET}\n", f"<p>{n}</p>")


def channels(mailer: Mailer, sms: SmsSender) -> list[Channel[Any]]:
    return [Channel(EmailRenderer(), mailer), Channel(SmsRenderer(), sms)]


def make_sender(db: Database, mailer: Mailer, **options: float) -> OutboxSender:
    return OutboxSender(db, channels(mailer, NoSmsSender()), rng=random.Random(7), **options)  # type: ignore[arg-type]


async def put(db: Database, message: EmailMessage | SmsMessage, **kw: object) -> int | None:
    async with db.session() as session:
        return await enqueue(session, message, **kw)  # type: ignore[arg-type]


async def rows(db: Database) -> list[OutboxMessage]:
    async with db.session() as session:
        result = await session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id)))
        return list(result.all())


class AcceptingMailer:
    """Stands in for an SMTP server that accepts everything (real ones: test_smtp, aiosmtpd)."""

    def __init__(self) -> None:
        self.sent: list[EmailMessage] = []

    async def send(self, message: EmailMessage) -> None:
        self.sent.append(message)


class ObservedMailer:
    """Delegates to a real mailer and signals each outcome (so a test can wait on it)."""

    def __init__(self, inner: Mailer) -> None:
        self.inner = inner
        self.failures = 0
        self.failed = asyncio.Event()
        self.delivered = asyncio.Event()

    async def send(self, message: EmailMessage) -> None:
        try:
            await self.inner.send(message)
        except MailError:
            self.failures += 1
            self.failed.set()
            raise
        self.delivered.set()


class GateMailer:
    """Holds every send until released, so a test can act while a send is in flight."""

    def __init__(self) -> None:
        self.entered = asyncio.Event()
        self.release = asyncio.Event()
        self.sent: list[EmailMessage] = []

    async def send(self, message: EmailMessage) -> None:
        self.entered.set()
        await self.release.wait()
        self.sent.append(message)


class LongErrorMailer:
    async def send(self, message: EmailMessage) -> None:
        raise MailError("x" * 2000)


class BrokenSmsSender:
    provider = "broken"

    async def send(self, message: SmsMessage) -> None:
        raise RuntimeError(f"provider bug echoing {message.text}")


async def test_enqueue_is_part_of_the_callers_transaction(db: Database) -> None:
    with pytest.raises(RuntimeError):
        async with db.session() as session:
            await enqueue(session, mail())
            raise RuntimeError("the action failed")
    assert await rows(db) == []
    assert await put(db, mail()) is not None
    assert len(await rows(db)) == 1


async def check_dedupe(db: Database) -> None:
    first = await put(db, mail(1), dedupe_key="invite:42")
    again = await put(db, mail(2), dedupe_key="invite:42")
    other = await put(db, mail(3), dedupe_key="invite:43")
    plain = [await put(db, mail(4)), await put(db, mail(5))]
    assert first is not None and again is None and other is not None and None not in plain
    assert [r.subject for r in await rows(db)] == [f"Message {n}" for n in (1, 3, 4, 5)]


async def test_enqueue_with_a_dedupe_key_is_idempotent(db: Database) -> None:
    await check_dedupe(db)


async def test_mail_enqueued_during_an_smtp_outage_is_delivered_once_after_it(
    db: Database, smtp: SmtpServer
) -> None:
    t0 = utcnow()
    await put(db, mail(), now=t0)
    sender = make_sender(db, smtp.mailer())

    assert await sender.send_due(t0) == 0
    [row] = await rows(db)
    assert (row.status, row.attempts, row.sent_at) == ("pending", 1, None)
    assert row.last_error is not None and row.last_error.startswith("MailError")
    assert SECRET not in row.last_error
    assert row.next_attempt_at > t0
    assert await sender.send_due(t0) == 0  # backing off: not due again yet
    assert (await rows(db))[0].attempts == 1

    await smtp.start()
    assert await sender.send_due(t0 + HOUR) == 1
    await smtp.collector.wait_for(1)
    assert await sender.send_due(t0 + 2 * HOUR) == 0
    [row] = await rows(db)
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, None)
    assert row.sent_at is not None
    assert len(smtp.collector.messages) == 1
    assert smtp.collector.messages[0]["Subject"] == "Message 0"


async def test_run_retries_on_its_own_timer_and_delivers_exactly_once(
    db: Database, smtp: SmtpServer
) -> None:
    """No wake() after the failure and a 60 s tick: only the next-due timer can retry in time."""
    mailer = ObservedMailer(smtp.mailer())
    sender = make_sender(db, mailer, base_delay=0.05, max_delay=0.2, tick=60.0)
    async with asyncio.TaskGroup() as tg:
        worker = tg.create_task(sender.run())
        await put(db, mail())
        sender.wake()
        async with asyncio.timeout(WAIT):
            await mailer.failed.wait()
        await smtp.start()
        async with asyncio.timeout(WAIT):
            await mailer.delivered.wait()
        # Cancelling right after the send must still leave the row recorded as sent.
        worker.cancel()
    await smtp.collector.wait_for(1)
    [row] = await rows(db)
    assert row.status == "sent"
    assert row.attempts == mailer.failures + 1
    assert len(smtp.collector.messages) == 1


async def test_a_stop_that_cancels_again_and_again_still_records_the_message_just_sent(
    db: Database, smtp_up: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The app's stop cancels a slow loop repeatedly (odrchat.background.stop): the write that
    records a sent message must survive every one of those cancellations."""
    monkeypatch.setattr(background, "FIRST_GRACE", 0.0)
    monkeypatch.setattr(background, "RECANCEL_EVERY", 0.001)
    mailer = ObservedMailer(smtp_up.mailer())
    sender = make_sender(db, mailer, tick=60.0)
    worker = asyncio.ensure_future(sender.run())
    await put(db, mail())
    sender.wake()
    async with asyncio.timeout(WAIT):
        await mailer.delivered.wait()
    assert await background.stop([worker], within=5) == []
    [row] = await rows(db)
    assert row.status == "sent"
    assert len(smtp_up.collector.messages) == 1


async def test_wake_sends_a_fresh_message_without_waiting_for_the_tick(
    db: Database, smtp_up: SmtpServer
) -> None:
    sender = make_sender(db, smtp_up.mailer(), tick=60.0)
    async with asyncio.TaskGroup() as tg:
        worker = tg.create_task(sender.run())
        await put(db, mail(1))
        sender.wake()
        await smtp_up.collector.wait_for(1)
        await put(db, mail(2))
        sender.wake()
        await smtp_up.collector.wait_for(2)
        worker.cancel()
    assert [m["Subject"] for m in smtp_up.collector.messages] == ["Message 1", "Message 2"]


async def test_two_senders_on_one_sqlite_file_never_send_a_message_twice(
    db: Database, smtp_up: SmtpServer
) -> None:
    other = Database(db.url)
    try:
        for n in range(20):
            await put(db, mail(n))
        first = make_sender(db, smtp_up.mailer(), batch=3)
        second = make_sender(other, smtp_up.mailer(), batch=3)
        now = utcnow()
        total = 0
        async with asyncio.timeout(WAIT):
            while total < 20:
                counts = await asyncio.gather(first.send_due(now), second.send_due(now))
                assert sum(counts) > 0
                total += sum(counts)
        await smtp_up.collector.wait_for(20)
    finally:
        await other.dispose()
    assert total == 20
    assert sorted(m["Subject"] for m in smtp_up.collector.messages) == sorted(
        f"Message {n}" for n in range(20)
    )
    assert {(r.status, r.attempts) for r in await rows(db)} == {("sent", 1)}


async def test_a_claimed_message_is_invisible_to_other_senders_until_its_lease_ends(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """While one sender is mid-send another sees nothing; after the lease the row is retaken
    and the first sender's late result is fenced off by the attempt number."""
    t0 = utcnow()
    await put(db, mail(), now=t0)
    gate, log = GateMailer(), AcceptingMailer()
    slow, fast = make_sender(db, gate, lease=300.0), make_sender(db, log, lease=300.0)
    async with asyncio.timeout(WAIT), asyncio.TaskGroup() as tg:
        in_flight = tg.create_task(slow.send_due(t0))
        await gate.entered.wait()
        assert await fast.send_due(t0 + timedelta(seconds=299)) == 0
        assert await fast.send_due(t0 + timedelta(seconds=301)) == 1
        gate.release.set()
    assert in_flight.result() == 1
    assert len(log.sent) == 1 and len(gate.sent) == 1  # the price of an expired lease
    [row] = await rows(db)
    assert (row.status, row.attempts) == ("sent", 2)
    assert "claim was lost" in caplog.text


async def test_a_message_is_dead_after_max_attempts_and_logged_loudly(
    db: Database, smtp: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    t0 = utcnow()
    await put(db, mail(), now=t0)
    sender = make_sender(db, smtp.mailer(), max_attempts=3, max_delay=60.0)
    with caplog.at_level(logging.INFO, logger="odrchat.notify"):
        for attempt in range(3):
            assert await sender.send_due(t0 + attempt * HOUR) == 0
        assert await sender.send_due(t0 + 10 * HOUR) == 0
    [row] = await rows(db)
    assert (row.status, row.attempts, row.sent_at) == ("dead", 3, None)
    assert row.last_error is not None and SECRET not in row.last_error
    dead = [r for r in caplog.records if r.levelno == logging.ERROR and "dead" in r.getMessage()]
    assert len(dead) == 1
    assert SECRET not in caplog.text


async def test_a_permanently_refused_recipient_is_dead_after_one_attempt(
    db: Database, smtp_up: SmtpServer
) -> None:
    t0 = utcnow()
    await put(db, mail(to=f"nobody@{smtp_up.refused_domain}"), now=t0)
    assert await make_sender(db, smtp_up.mailer()).send_due(t0) == 0
    [row] = await rows(db)
    assert (row.status, row.attempts) == ("dead", 1)
    assert smtp_up.collector.messages == []


async def test_last_error_is_cut_to_500_characters(db: Database) -> None:
    t0 = utcnow()
    await put(db, mail(), now=t0)
    await make_sender(db, LongErrorMailer()).send_due(t0)
    [row] = await rows(db)
    assert row.last_error is not None and len(row.last_error) == 500


async def test_an_unexpected_sender_error_is_logged_and_never_stops_the_outbox(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    t0 = utcnow()
    await put(db, SmsMessage("+15551234567", f"code {SECRET}"), now=t0)
    await put(db, mail(), now=t0)
    mailer = AcceptingMailer()
    sender = OutboxSender(db, channels(mailer, BrokenSmsSender()), rng=random.Random(1))
    assert await sender.send_due(t0) == 1
    sms_row, mail_row = await rows(db)
    assert (sms_row.status, sms_row.last_error) == ("pending", "RuntimeError")
    assert mail_row.status == "sent" and len(mailer.sent) == 1
    assert any(r.exc_info for r in caplog.records if r.levelno == logging.ERROR)


class AcceptingSmsSender:
    """Stands in for a provider that accepts everything (real providers: tests/notify/test_sms*)."""

    provider = "memory"

    def __init__(self) -> None:
        self.sent: list[SmsMessage] = []

    async def send(self, message: SmsMessage) -> None:
        self.sent.append(message)


async def test_sms_goes_through_the_sms_sender(db: Database) -> None:
    t0 = utcnow()
    sms = AcceptingSmsSender()
    await put(db, SmsMessage("+15551234567", "Your mediation starts at 10:00"), now=t0)
    sender = OutboxSender(db, channels(AcceptingMailer(), sms))
    assert await sender.send_due(t0) == 1
    assert sms.sent == [SmsMessage("+15551234567", "Your mediation starts at 10:00")]
    [row] = await rows(db)
    assert (row.status, row.channel) == ("sent", "sms")


async def test_without_a_provider_a_text_is_unsent_with_the_reason_and_never_retried(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    t0 = utcnow()
    await put(db, SmsMessage("+15551234567", f"code {SECRET}"), now=t0)
    sender = make_sender(db, AcceptingMailer())
    assert await sender.send_due(t0) == 0
    [row] = await rows(db)
    assert (row.status, row.last_error, row.sent_at, row.attempts) == (
        "unsent",
        NO_PROVIDER,
        None,
        1,
    )
    assert await sender.send_due(t0 + 100 * HOUR) == 0
    [row] = await rows(db)
    assert (row.status, row.attempts) == ("unsent", 1)
    assert SECRET not in caplog.text and "+15551234567" not in caplog.text


async def test_attachments_survive_the_outbox_intact(db: Database, smtp_up: SmtpServer) -> None:
    t0 = utcnow()
    message = build_email(
        "party@example.org",
        "Signed agreement",
        ["Attached."],
        attachments=[Attachment("agreement.pdf", "application/pdf", PDF)],
    )
    await put(db, message, now=t0)
    [row] = await rows(db)
    assert message_of(row) == message
    assert await make_sender(db, smtp_up.mailer()).send_due(t0) == 1
    await smtp_up.collector.wait_for(1)
    [attachment] = smtp_up.collector.messages[0].iter_attachments()
    assert attachment.get_filename() == "agreement.pdf"
    assert attachment.get_content() == PDF


async def test_a_row_of_a_channel_this_server_does_not_run_is_dead_and_never_sent_otherwise(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    t0 = utcnow()
    await put(db, SmsMessage("+15551234567", "hello"), now=t0)
    await put(db, mail(), now=t0)
    mailer = AcceptingMailer()
    sender = OutboxSender(db, [Channel(EmailRenderer(), mailer)])
    assert await sender.send_due(t0) == 1
    sms_row, mail_row = await rows(db)
    assert (sms_row.status, sms_row.last_error) == ("dead", "no channel 'sms' in this server")
    assert mail_row.status == "sent" and [m.to for m in mailer.sent] == ["party@example.org"]
    assert "no channel 'sms'" in caplog.text


def test_a_channel_without_a_registered_renderer_is_refused() -> None:
    class Pigeon:
        name = "pigeon"
        message_type = SmsMessage

        def render(self, message: SmsMessage) -> Rendered:
            return Rendered(recipient=message.to, body_text=message.text)

        def restore(self, row: OutboxMessage) -> SmsMessage:
            return SmsMessage(row.recipient, row.body_text)

    with pytest.raises(ValueError, match="pigeon"):
        OutboxSender(Database("sqlite://"), [Channel(Pigeon(), NoSmsSender())])


async def test_every_registered_renderer_restores_what_it_rendered(db: Database) -> None:
    messages = {
        "email": mail(3),
        "sms": SmsMessage("+15551234567", "text"),
    }
    assert {r.name for r in RENDERERS} == set(messages)
    for message in messages.values():
        await put(db, message)
    assert [message_of(row) for row in await rows(db)] == list(messages.values())
    assert [row.channel for row in await rows(db)] == list(messages)


def test_backoff_delay_doubles_within_its_jitter_band_and_is_capped() -> None:
    rng = random.Random(3)
    for attempts in range(1, 80):
        ceiling = 600.0 if attempts >= 10 else 2.0 * 2 ** (attempts - 1)  # 2 * 2**9 = 1024 > 600
        delay = backoff_delay(attempts, 2.0, 600.0, rng)
        assert ceiling / 2 <= delay <= ceiling


# PostgreSQL: several workers share one outbox.


@pytest.mark.postgres
async def test_postgres_claims_skip_rows_another_worker_has_locked(
    pg_dbs: tuple[Database, Database],
) -> None:
    worker_db, locker_db = pg_dbs
    t0 = utcnow()
    ids = [await put(worker_db, mail(n), now=t0) for n in range(3)]
    mailer = AcceptingMailer()
    sender = make_sender(worker_db, mailer)
    async with locker_db.session() as session:
        stmt = select(OutboxMessage).where(col(OutboxMessage.id) == ids[0]).with_for_update()
        await session.exec(stmt)
        # Would block until the lock goes away without SKIP LOCKED; the timeout catches that.
        async with asyncio.timeout(WAIT):
            assert await sender.send_due(t0) == 2
    assert await sender.send_due(t0) == 1
    assert sorted(m.subject for m in mailer.sent) == ["Message 0", "Message 1", "Message 2"]


@pytest.mark.postgres
async def test_postgres_concurrent_senders_send_each_message_once(
    pg_dbs: tuple[Database, Database],
) -> None:
    first_db, second_db = pg_dbs
    now = utcnow()
    for n in range(30):
        await put(first_db, mail(n), now=now)
    mailers = [AcceptingMailer() for _ in range(2)]
    senders = [
        make_sender(first_db, mailers[0], batch=4),
        make_sender(second_db, mailers[1], batch=4),
    ]
    total = 0
    async with asyncio.timeout(WAIT):
        while total < 30:
            total += sum(await asyncio.gather(*(s.send_due(now) for s in senders)))
    subjects = [m.subject for mailer in mailers for m in mailer.sent]
    assert sorted(subjects) == sorted(f"Message {n}" for n in range(30))
    assert {(r.status, r.attempts) for r in await rows(first_db)} == {("sent", 1)}


@pytest.mark.postgres
async def test_postgres_enqueue_with_a_dedupe_key_is_idempotent(
    pg_dbs: tuple[Database, Database],
) -> None:
    await check_dedupe(pg_dbs[0])


def _aware(value: datetime) -> bool:
    return value.tzinfo is not None


async def test_every_timestamp_comes_back_timezone_aware(db: Database) -> None:
    t0 = utcnow()
    await put(db, mail(), now=t0)
    await make_sender(db, AcceptingMailer()).send_due(t0)
    [row] = await rows(db)
    assert row.sent_at is not None
    assert all(map(_aware, (row.created_at, row.next_attempt_at, row.sent_at)))
