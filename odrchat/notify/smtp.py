"""Mailers: the port the outbox sends email through, an SMTP adapter and a development logger.

A Mailer either hands the message on or raises ``MailError``; library and socket errors are
translated here and nowhere else. ``permanent=True`` means the server refused the recipient for
good (5xx): the outbox gives up at once instead of retrying for days.

Bodies carry sign-in and invitation tokens, so no mailer ever logs a body.
"""

from __future__ import annotations

import asyncio
import base64
import email.message
import email.utils
import json
import logging
from collections import deque
from typing import Protocol

import aiosmtplib

from odrchat.notify.channel import Rendered
from odrchat.notify.email import Attachment, DeliveryError, EmailMessage, NotConfigured
from odrchat.notify.tables import OutboxMessage

__all__ = [
    "NO_SMTP",
    "EmailRenderer",
    "LogMailer",
    "MailError",
    "Mailer",
    "SmtpMailer",
    "mime_message",
]

NO_SMTP = "not sent: no SMTP server configured"

logger = logging.getLogger("odrchat.notify")


class MailError(DeliveryError):
    """An email could not be handed to the mail server."""


class Mailer(Protocol):
    async def send(self, message: EmailMessage) -> None:
        """Hand one message on, or raise MailError."""
        ...


class EmailRenderer:
    """The email channel's outbox columns: subject, both bodies, attachments as JSON."""

    name = "email"
    message_type = EmailMessage

    def render(self, message: EmailMessage) -> Rendered:
        """The row's columns for this email."""
        return Rendered(
            recipient=message.to,
            subject=message.subject,
            body_text=message.text,
            body_html=message.html,
            attachments=_encode_attachments(message.attachments),
            headers=json.dumps([list(h) for h in message.headers]),
        )

    def restore(self, row: OutboxMessage) -> EmailMessage:
        """The email a row was rendered from."""
        return EmailMessage(
            to=row.recipient,
            subject=row.subject,
            text=row.body_text,
            html=row.body_html,
            attachments=_decode_attachments(row.attachments),
            headers=tuple((str(k), str(v)) for k, v in json.loads(row.headers or "[]")),
        )


def _encode_attachments(attachments: tuple[Attachment, ...]) -> str:
    # JSON list of {"filename", "content_type", "data" (base64)}: readable from any SQL shell.
    return json.dumps(
        [
            {
                "filename": a.filename,
                "content_type": a.content_type,
                "data": base64.b64encode(a.data).decode("ascii"),
            }
            for a in attachments
        ]
    )


def _decode_attachments(raw: str) -> tuple[Attachment, ...]:
    return tuple(
        Attachment(
            filename=item["filename"],
            content_type=item["content_type"],
            data=base64.b64decode(item["data"]),
        )
        for item in json.loads(raw)
    )


def mime_message(message: EmailMessage, from_addr: str) -> email.message.EmailMessage:
    """Build the MIME message: text, optional HTML alternative, then attachments."""
    mime = email.message.EmailMessage()
    mime["From"] = from_addr
    mime["To"] = message.to
    mime["Subject"] = message.subject
    mime["Date"] = email.utils.formatdate(localtime=False)
    domain = from_addr.rpartition("@")[2].strip(" >") or None
    mime["Message-ID"] = email.utils.make_msgid(domain=domain)
    for name, value in message.headers:
        mime[name] = value
    mime.set_content(message.text)
    if message.html is not None:
        mime.add_alternative(message.html, subtype="html")
    for attachment in message.attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        mime.add_attachment(
            attachment.data,
            maintype=maintype,
            subtype=subtype or "octet-stream",
            filename=attachment.filename,
        )
    return mime


class SmtpMailer:
    """Send through an SMTP server with aiosmtplib, one connection per message."""

    def __init__(
        self,
        host: str,
        port: int,
        username: str | None,
        password: str | None,
        from_addr: str,
        starttls: bool,
        timeout: float = 30.0,
    ) -> None:
        self.host = host
        self.port = port
        self.username = username
        self._password = password
        self.from_addr = from_addr
        self.starttls = starttls
        self.timeout = timeout

    def __repr__(self) -> str:
        # The password stays out of reprs, and so out of tracebacks and logs.
        return f"SmtpMailer(host={self.host!r}, port={self.port}, username={self.username!r})"

    async def send(self, message: EmailMessage) -> None:
        """Send one message; raise MailError on any failure."""
        try:
            mime = mime_message(message, self.from_addr)
        except (ValueError, TypeError) as exc:
            # A malformed header or content type: retrying the same bytes cannot help.
            raise MailError(f"message cannot be built: {exc}", permanent=True) from exc
        try:
            # One deadline for the whole exchange. aiosmtplib's own per-step timeouts go through
            # asyncio.wait_for, which on Python 3.11 can swallow a cancellation that races with
            # a reply (a worker would then ignore shutdown); asyncio.timeout does not.
            async with asyncio.timeout(self.timeout):
                await aiosmtplib.send(
                    mime,
                    hostname=self.host,
                    port=self.port,
                    username=self.username,
                    password=self._password,
                    start_tls=self.starttls,
                    timeout=None,
                )
        except TimeoutError as exc:
            raise MailError(f"no answer from {self.host}:{self.port} in {self.timeout:g}s") from exc
        except aiosmtplib.SMTPRecipientsRefused as exc:
            permanent = all(r.code >= 500 for r in exc.recipients)
            raise MailError(f"recipient refused: {_first_line(exc)}", permanent=permanent) from exc
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise MailError(f"{type(exc).__name__}: {_first_line(exc)}") from exc


class LogMailer:
    """Development mailer (no SMTP_HOST): records every email as not sent, logs who it was for.

    The outbox row keeps the body (sign-in and invitation links can be read from it), and says
    "not sent: no SMTP server configured" rather than "sent": nothing left the server.
    """

    def __init__(self, from_addr: str, *, keep: int = 100) -> None:
        self.from_addr = from_addr
        # Bounded: a long-running dev server must not grow without limit.
        self.kept: deque[EmailMessage] = deque(maxlen=keep)

    async def send(self, message: EmailMessage) -> None:
        """Keep the message, log recipient and subject (never the body), refuse to call it sent."""
        self.kept.append(message)
        logger.info(
            "mail not sent (no SMTP_HOST): to=%s subject=%r; read the body from the outbox table",
            message.to,
            message.subject,
        )
        raise NotConfigured(NO_SMTP)


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
