"""Every reminder source a server sweeps: add a new family of reminders here.

How, with an example: docs/notifications.md.
"""

from __future__ import annotations

from odrchat.reminders.engine import Source
from odrchat.reminders.instalments import InstalmentSource
from odrchat.reminders.sources import (
    ConsentSource,
    HearingSource,
    InvitationSource,
    MediatorSource,
    OfferSource,
    SignatureSource,
)
from odrchat.settings import Settings

__all__ = ["sources"]


def sources(settings: Settings) -> tuple[Source, ...]:
    """The sources of a server with these settings, in the order each sweep visits them."""
    return (
        InvitationSource(),
        ConsentSource(),
        MediatorSource(),
        SignatureSource(),
        OfferSource(),
        HearingSource(settings.tz),
        InstalmentSource(settings.tz),
    )
