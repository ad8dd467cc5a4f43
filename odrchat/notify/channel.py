"""Notification channels: what the outbox needs to know about one way of reaching a person.

A channel is one renderer plus one sender. The renderer turns a message value into the columns
of its outbox row and back (pure, no I/O); the sender hands a message on and raises a
``DeliveryError`` when it cannot. The outbox finds a new message's renderer by the message's type
and a due row's channel by the name stored in the row; it never branches on a channel itself.

Adding a channel touches about four files: its message type (``odrchat.notify.email``, also in
the ``Message`` union), a module holding its renderer and sender(s), one line in
``odrchat.notify.outbox.RENDERERS``, and its ``Channel`` in ``create_app``. The table needs no
migration: the channel column is free text, and a row whose channel is not registered in a
running server is marked dead rather than sent somewhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from odrchat.notify.tables import OutboxMessage

__all__ = ["Channel", "Rendered", "Renderer", "Sender"]

M = TypeVar("M")
M_contra = TypeVar("M_contra", contravariant=True)


@dataclass(frozen=True, slots=True)
class Rendered:
    """The channel-specific columns of an outbox row."""

    recipient: str
    body_text: str
    subject: str = ""
    body_html: str | None = None
    attachments: str = "[]"
    headers: str = "[]"  # JSON list of [name, value]


class Renderer(Protocol[M]):
    """Turns one kind of message into outbox columns and back; pure."""

    @property
    def name(self) -> str:
        """The channel's name, stored in the row (at most 8 characters)."""
        ...

    @property
    def message_type(self) -> type[M]:
        """The message class this renderer handles."""
        ...

    def render(self, message: M) -> Rendered:
        """The row's columns for this message."""
        ...

    def restore(self, row: OutboxMessage) -> M:
        """The message a row was rendered from."""
        ...


class Sender(Protocol[M_contra]):
    async def send(self, message: M_contra) -> None:
        """Hand one message on, or raise a DeliveryError."""
        ...


@dataclass(frozen=True, slots=True)
class Channel(Generic[M]):
    """One registered way of reaching people: how its rows look, and who sends them."""

    renderer: Renderer[M]
    sender: Sender[M]

    @property
    def name(self) -> str:
        return self.renderer.name


AnyChannel = Channel[Any]
