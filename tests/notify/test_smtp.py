"""Mailers deliver real MIME through a real SMTP server and translate every failure to MailError."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import aiosmtplib
import pytest

from odrchat.notify.email import Attachment, EmailMessage, NotConfigured, SmsMessage, build_email
from odrchat.notify.sms import NO_PROVIDER, NoSmsSender, mask_number
from odrchat.notify.smtp import NO_SMTP, LogMailer, MailError, SmtpMailer

if TYPE_CHECKING:
    from tests.notify.conftest import SmtpServer

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n\x00\x01\x02\xff trailer\n%%EOF\n"
SECRET = "token=SECRET-9f8e7d"


async def test_smtp_mailer_sends_text_html_and_an_intact_pdf(smtp_up: SmtpServer) -> None:
    message = build_email(
        "party@example.org",
        "Your agreement",
        ["Dear <script>alert(1)</script>,", "Your signed agreement is attached."],
        action=("Open the case", "https://odr.example/cases/7"),
        attachments=[Attachment("agreement.pdf", "application/pdf", PDF)],
    )
    await smtp_up.mailer().send(message)
    await smtp_up.collector.wait_for(1)

    received = smtp_up.collector.messages[0]
    assert smtp_up.collector.recipients == [["party@example.org"]]
    assert received["Subject"] == "Your agreement"
    assert received["From"] == "ODR Chat <noreply@odr.example>"
    assert received["Message-ID"].endswith("@odr.example>")
    assert received.get_content_type() == "multipart/mixed"
    text_part = received.get_body(preferencelist=("plain",))
    html_part = received.get_body(preferencelist=("html",))
    assert text_part is not None and html_part is not None
    assert "Dear <script>alert(1)</script>," in text_part.get_content()
    html = html_part.get_content()
    assert "&lt;script&gt;" in html and "<script" not in html
    attachments = list(received.iter_attachments())
    assert [a.get_filename() for a in attachments] == ["agreement.pdf"]
    assert attachments[0].get_content_type() == "application/pdf"
    assert attachments[0].get_content() == PDF


async def test_smtp_mailer_sends_plain_text_only_message(smtp_up: SmtpServer) -> None:
    await smtp_up.mailer().send(EmailMessage("a@example.org", "Plain", "just text\n"))
    await smtp_up.collector.wait_for(1)
    received = smtp_up.collector.messages[0]
    assert received.get_content_type() == "text/plain"
    assert received.get_content().splitlines() == ["just text"]


async def test_smtp_mailer_translates_a_down_server_into_a_transient_mail_error(
    smtp: SmtpServer,
) -> None:
    with pytest.raises(MailError) as info:
        await smtp.mailer().send(EmailMessage("a@example.org", "s", SECRET))
    assert not info.value.permanent
    assert isinstance(info.value.__cause__, aiosmtplib.SMTPException | OSError)
    assert SECRET not in str(info.value)


async def test_smtp_mailer_reports_a_refused_recipient_as_permanent(smtp_up: SmtpServer) -> None:
    with pytest.raises(MailError) as info:
        await smtp_up.mailer().send(EmailMessage(f"x@{smtp_up.refused_domain}", "s", SECRET))
    assert info.value.permanent
    assert isinstance(info.value.__cause__, aiosmtplib.SMTPRecipientsRefused)
    assert smtp_up.collector.messages == []


async def test_smtp_mailer_reports_an_unbuildable_message_as_permanent(smtp: SmtpServer) -> None:
    with pytest.raises(MailError) as info:
        await smtp.mailer().send(EmailMessage("a@example.org", "bad\nheader", "x"))
    assert info.value.permanent


def test_smtp_mailer_repr_hides_the_password() -> None:
    mailer = SmtpMailer("smtp.example", 587, "user", "hunter2-pass", "n@example.org", True, 10)
    assert "hunter2-pass" not in repr(mailer)
    assert "smtp.example" in repr(mailer)


async def test_log_mailer_refuses_as_not_sent_and_logs_recipient_and_subject_never_the_body(
    caplog: pytest.LogCaptureFixture,
) -> None:
    mailer = LogMailer("noreply@odr.example")
    message = EmailMessage("party@example.org", "Sign in", f"link {SECRET}", f"<p>{SECRET}</p>")
    with (
        caplog.at_level(logging.DEBUG, logger="odrchat.notify"),
        pytest.raises(NotConfigured, match=NO_SMTP),
    ):
        await mailer.send(message)
    assert list(mailer.kept) == [message]
    assert "party@example.org" in caplog.text and "Sign in" in caplog.text
    assert SECRET not in caplog.text


async def test_log_mailer_keeps_a_bounded_history() -> None:
    mailer = LogMailer("noreply@odr.example", keep=3)
    for i in range(5):
        with pytest.raises(NotConfigured):
            await mailer.send(EmailMessage("a@example.org", f"s{i}", "x"))
    assert [m.subject for m in mailer.kept] == ["s2", "s3", "s4"]


async def test_without_a_provider_a_text_is_refused_as_not_configured_and_never_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    sender = NoSmsSender()
    message = SmsMessage("+15551234567", f"Your code {SECRET}")
    with (
        caplog.at_level(logging.DEBUG, logger="odrchat.notify"),
        pytest.raises(NotConfigured) as refused,
    ):
        await sender.send(message)
    assert (refused.value.reason, refused.value.permanent, sender.provider) == (
        NO_PROVIDER,
        True,
        "off",
    )
    assert mask_number("+15551234567") in caplog.text
    assert "+15551234567" not in caplog.text
    assert SECRET not in caplog.text
