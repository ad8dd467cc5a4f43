"""Outgoing messages as plain values, and the builder that turns words into a safe email.

Every message the server sends is built here first, then handed to the outbox. Nothing in this
module touches the network. User-provided text (names, case descriptions) may contain markup; the
HTML part is produced only through ``odrchat.notify.html``, which escapes it.

Delivery errors, the tree the senders raise::

    DeliveryError          a message could not be handed on (``permanent``: retrying won't help)
    ├── MailError          raised by a Mailer   (odrchat.notify.smtp)
    ├── SmsError           raised by an SmsSender (odrchat.notify.sms)
    │   └── RecipientOptedOut  the provider says the number opted out (the gate records it)
    └── Withheld           not sent on purpose: recorded "unsent" with the reason, never retried
        └── NotConfigured  the channel has no provider configured
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from odrchat.notify.html import clean_html, escape_text, paragraphs_to_html

__all__ = [
    "Attachment",
    "DeliveryError",
    "EmailMessage",
    "Message",
    "NotConfigured",
    "SmsMessage",
    "Withheld",
    "build_email",
]


class DeliveryError(Exception):
    """A message could not be delivered; ``permanent`` says whether a retry could help."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


class Withheld(DeliveryError):
    """Not sent on purpose (e.g. the number opted out); ``reason`` is what the outbox row says."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason, permanent=True)


class NotConfigured(Withheld):
    """The channel has no provider configured."""


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file sent with an email, e.g. a signed agreement as PDF."""

    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True, slots=True)
class EmailMessage:
    """One email to one recipient: a plain-text part and an optional HTML alternative."""

    to: str
    subject: str
    text: str
    html: str | None = None
    attachments: tuple[Attachment, ...] = ()
    # Extra headers, e.g. List-Unsubscribe; names from HEADERS only (never caller-made names).
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class SmsMessage:
    """One text message to one phone number.

    ``kind`` "code" marks a confirmation code: the only text that may go to a number nobody has
    confirmed yet (it is how a number gets confirmed).
    """

    to: str
    text: str
    kind: str = "notice"


Message = EmailMessage | SmsMessage


def build_email(
    to: str,
    subject: str,
    paragraphs: Sequence[str],
    action: tuple[str, str] | None = None,
    footer: str | None = None,
    *,
    attachments: Sequence[Attachment] = (),
    headers: Sequence[tuple[str, str]] = (),
) -> EmailMessage:
    """Build an email whose HTML part escapes every piece of caller-provided text."""
    # A subject is a header: folding whitespace away keeps a stray newline from becoming
    # a header injection (the email library would refuse it later, at send time).
    subject = " ".join(subject.split())
    if action is not None:
        _check_action_url(action[1])

    text_parts = [p.strip() for p in paragraphs]
    html_parts = [paragraphs_to_html(paragraphs)]
    if action is not None:
        label, url = action
        text_parts.append(f"{label}: {url}")
        html_parts.append(f'<p><a href="{escape_text(url)}">{escape_text(label)}</a></p>')
    if footer:
        text_parts.append(f"-- \n{footer.strip()}")
        html_parts.append(f"<p><em>{escape_text(footer.strip())}</em></p>")

    # The parts are escaped already; cleaning again is a second lock on the same door.
    html = clean_html("\n".join(html_parts))
    return EmailMessage(
        to=to,
        subject=subject,
        text="\n\n".join(text_parts) + "\n",
        html=html,
        attachments=tuple(attachments),
        headers=tuple(headers),
    )


def _check_action_url(url: str) -> None:
    scheme = urlsplit(url).scheme.lower()
    if scheme not in ("http", "https"):
        raise ValueError(f"action link must be http or https, not {scheme or 'relative'!r}")
