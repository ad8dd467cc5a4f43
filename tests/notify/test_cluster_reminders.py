"""Issue 13's done-when for every reminder kind: on two real workers with PostgreSQL and Redis and
a real SMTP server on loopback, each reminder the registry can make fires once, at its time,
although two sweepers run at once.

One subject per kind is seeded through the services (an invitation nobody answered, a party who
has not consented, a case with no mediator, an agreement waiting for a signature, an offer about
to expire, a court date coming, an instalment coming due). As in test_cluster_notices, the
workers send the outbox and two sweepers run here on their own connections, so the clock is
moved by passing ``now``. The test fails when the registry gains a kind it does not seed.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import time as clock
from pathlib import Path

import pytest

from odrchat.agreements import texts as agreement_texts
from odrchat.i18n import texts_for
from odrchat.notify.notifier import Notifier
from odrchat.reminders import registry, texts
from odrchat.reminders.engine import Reminders
from odrchat.settings import Settings
from odrchat.store.db import Database
from odrchat.store.types import utcnow
from tests.agreements.test_paying import signed
from tests.agreements.test_service import sign
from tests.cases.world import open_case
from tests.cluster import SECRET_KEY, Cluster, cluster, fresh_database
from tests.notify.conftest import SmtpServer
from tests.notify.fake_sms import fake_provider
from tests.notify.test_cluster_notices import LA, env_for, settled
from tests.offers.test_service import Stack, build_stack, payment
from tests.services import redis_url

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

DAY = timedelta(days=1)
EN = texts_for("en")
SEEDED = frozenset(
    {
        "invitation.unanswered",
        "consent.missing",
        "mediator.unassigned",
        "signature.waiting",
        "offer.expiring",
        "hearing.approaching",
        "instalment.due",
    }
)


@dataclass(frozen=True)
class Due:
    """One reminder the seeds call for: its key, its time, and the (address, subject) it sends."""

    key: str
    at: datetime
    letters: tuple[tuple[str, str], ...]


@pytest.fixture
def db(pg_template: tuple[str, str]) -> Iterator[str]:
    with fresh_database(pg_template) as url:
        yield url


async def test_every_reminder_kind_fires_once_at_its_time_across_two_workers(
    db: str, tmp_path: Path, smtp_up: SmtpServer, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings(db, centre_timezone="America/Los_Angeles")
    kinds = {source.kind for source in registry.sources(settings)}
    assert kinds == SEEDED, f"seed a subject here for every reminder kind: {kinds ^ SEEDED}"
    stack, broker = await build_stack(db, settings)
    database, other = Database(db), Database(db)
    try:
        async with fake_provider() as sms:
            with cluster(db, redis_url(), tmp_path, env=env_for(smtp_up, sms)) as cl:
                async with asyncio.timeout(300):
                    due = await _seed(cl, stack)
                    await _sweep(cl, database, other, settings, smtp_up, due)
    finally:
        await broker.disconnect()
        await stack.db.dispose()
        await database.dispose()
        await other.dispose()


async def _seed(cl: Cluster, stack: Stack) -> list[Due]:
    """One subject per kind, through the services; returns every reminder they call for."""
    paul, dana, mia, admin = stack["paul"], stack["dana"], stack["mia"], stack["admin"]
    cases = stack.cases
    due: list[Due] = []

    # Invited, never answered: the invitation (to dana and the inviter) and paul's consent.
    invited, _ = await open_case(cases, paul, court_case_number="REM-INVITE")
    (inv,) = await cl.fetch(
        "SELECT id, created_at, expires_at FROM invitations WHERE case_id = $1", invited
    )
    expires = inv["expires_at"]
    invitee = texts.invitation_unanswered_invitee(EN, "REM-INVITE", expires)
    inviter = texts.invitation_unanswered_inviter(EN, "REM-INVITE", invited, "Dana", expires)
    for days in (3, 7):
        due.append(
            Due(
                f"invitation.unanswered:{inv['id']}:{days}d",
                inv["created_at"] + days * DAY,
                (("dana@example.org", invitee.subject), ("paul@example.org", inviter.subject)),
            )
        )
    (joined,) = await cl.fetch(
        "SELECT id, added_at FROM participants WHERE case_id = $1 AND role = 'party'", invited
    )
    consent = texts.consent_missing(EN, "REM-INVITE", invited).subject
    for days in (2, 5):
        due.append(
            Due(
                f"consent.missing:{joined['id']}:{days}d",
                joined["added_at"] + days * DAY,
                (("paul@example.org", consent),),
            )
        )

    # Both sides consented, no mediator: the admins hear after two days.
    waiting = await _consented(stack, "REM-MEDIATOR")
    (ready,) = await cl.fetch(
        "SELECT max(accepted_at) AS at FROM consents WHERE case_id = $1", waiting
    )
    words = texts.mediator_unassigned(EN, "REM-MEDIATOR", waiting, 2)
    due.append(
        Due(
            f"mediator.unassigned:{waiting}:2d",
            ready["at"] + 2 * DAY,
            (("admin@example.org", words.subject),),
        )
    )

    # In mediation with a court date ten days on, and an offer from paul expiring in three days.
    hearing = (utcnow().astimezone(LA) + 10 * DAY).date()
    offered = await _consented(stack, "REM-OFFER", hearing_date=hearing)
    assert mia.id is not None
    await cases.assign(admin, offered, mia.id)
    made = await stack.offers.make(paul, offered, [payment(50_000)], deadline=utcnow() + 3 * DAY)
    (offer,) = await cl.fetch("SELECT deadline FROM offers WHERE id = $1", made["id"])
    words = texts.offer_expiring(EN, "REM-OFFER", offered, offer["deadline"])
    due.append(
        Due(
            f"offer.expiring:{made['id']}:24h",
            offer["deadline"] - DAY,
            (("dana@example.org", words.subject),),
        )
    )
    for days in (7, 2):
        words = texts.hearing_approaching(EN, "REM-OFFER", offered, hearing, days)
        members = ("paul@example.org", "dana@example.org", "mia@example.org")
        due.append(
            Due(
                f"hearing.approaching:{offered}:{hearing.isoformat()}-{days}d",
                datetime.combine(hearing - days * DAY, clock(9, 0), LA),
                tuple((to, words.subject) for to in members),
            )
        )

    # An agreement out for signature that paul signed and dana has not.
    to_sign = await _consented(stack, "REM-SIGN")
    await cases.assign(admin, to_sign, mia.id)
    agreed = await stack.offers.make(paul, to_sign, [payment(60_000)])
    await stack.offers.accept(dana, agreed["id"])
    draft = await stack.agreements.view(mia, case_id=to_sign)
    doc = await stack.agreements.send_for_signature(mia, draft["id"])
    await sign(stack, "paul", doc)
    (sent,) = await cl.fetch("SELECT updated_at FROM agreements WHERE id = $1", doc["id"])
    words = texts.signature_waiting(EN, "REM-SIGN", to_sign)
    for days in (2, 5):
        due.append(
            Due(
                f"signature.waiting:{doc['id']}:{doc['document_sha256'][:12]}-{days}d",
                sent["updated_at"] + days * DAY,
                (("dana@example.org", words.subject),),
            )
        )

    # The world's case signed a schedule: a payment in six days (and one much later).
    await signed(stack, (40_000, 6), (20_000, 60))
    (first,) = await cl.fetch("SELECT id, due FROM agreement_instalments WHERE number = 1")
    words = agreement_texts.instalment_due(EN, 1, 2, first["due"], stack.case_id)
    for days in (3, 1):
        due.append(
            Due(
                f"instalment.due:{first['id']}:{first['due'].isoformat()}-{days}d",
                datetime.combine(first["due"] - days * DAY, clock(9, 0), LA),
                tuple((to, words.subject) for to in ("paul@example.org", "dana@example.org")),
            )
        )
    return due


async def _consented(stack: Stack, label: str, **facts: object) -> int:
    """Paul opens a case, dana joins, both agree to mediate: it waits for a mediator."""
    case_id, token = await open_case(stack.cases, stack["paul"], court_case_number=label, **facts)
    await stack.cases.accept_invitation(stack["dana"], token)
    version = (await stack.cases.detail(stack["paul"], case_id))["consent_needed"]
    for who in ("paul", "dana"):
        await stack.cases.consent(stack[who], case_id, version)
    return case_id


async def _sweep(
    cl: Cluster,
    database: Database,
    other: Database,
    settings: Settings,
    smtp: SmtpServer,
    due: list[Due],
) -> None:
    """Move the clock to just before and to each reminder's time, two sweepers at once."""
    assert {d.key.split(":")[0] for d in due} == SEEDED
    assert await cl.fetch("SELECT key FROM reminders_fired") == []  # the workers' own clock
    await settled(cl)
    before = len(smtp.collector.messages)
    notifier = Notifier(cl.origin, SECRET_KEY, LA)
    engines = [Reminders(d, notifier, registry.sources(settings)) for d in (database, other)]
    moments = sorted({t for d in due for t in (d.at - timedelta(seconds=1), d.at)})
    fired: set[str] = set()
    for at in moments:
        counts = await asyncio.gather(*(e.sweep(at) for e in engines))
        rows = await cl.fetch("SELECT key FROM reminders_fired")
        now_fired = {r["key"] for r in rows}
        assert now_fired == {d.key for d in due if d.at <= at}, at  # at its time, never early
        assert sum(counts) == len(now_fired - fired), (at, counts)  # once, not once per worker
        fired = now_fired
    await settled(cl)
    got = Counter((str(m["To"]), str(m["Subject"])) for m in smtp.collector.messages[before:])
    assert got == Counter(letter for d in due for letter in d.letters)
