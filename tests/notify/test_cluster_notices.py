"""Issue 13's done-when, on two real workers with PostgreSQL and Redis, a real SMTP server on
loopback and the fake SMS provider: a party who closed the browser gets one notice per room for
new messages, never their text; every reminder fires once at its time although two sweepers run
at once; STOP stops texts; and no outbox row says "sent" unless a server accepted it.

The workers send the outbox. The sweeps that decide (away notices and reminders) are run here,
two at a time on their own connections and with the same Redis presence the workers keep, so the
clock can be moved by passing ``now`` instead of sleeping.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from datetime import time as clock
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from odrchat.notify.away import AwayNotices
from odrchat.notify.notifier import Notifier
from odrchat.notify.tables import PhoneNumber
from odrchat.reminders import registry
from odrchat.reminders.engine import Reminders
from odrchat.rooms.presence import RedisPresence
from odrchat.settings import Settings
from odrchat.store.db import Database
from odrchat.store.meta import deployment_id
from odrchat.store.types import utcnow
from tests.cluster import SECRET_KEY, Cluster, apoll, cluster, fresh_database
from tests.notify.conftest import SmtpServer
from tests.notify.fake_sms import WEBHOOK_SECRET, RunningProvider, fake_provider
from tests.rooms.world import build_world
from tests.services import redis_url

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

SECRET_TEXT = "I would take 4200 if the van goes back by Friday"
LA = ZoneInfo("America/Los_Angeles")
PAUL, DANA = "+12135550101", "+12135550102"


@pytest.fixture
def db(pg_template: tuple[str, str]) -> Iterator[str]:
    with fresh_database(pg_template) as url:
        yield url


async def give_phone(db: Database, user_id: int, number: str) -> None:
    """A number its owner confirmed by code (the code flow has its own tests)."""
    from odrchat.auth.tables import User

    async with db.session() as s:
        user = await s.get(User, user_id)
        assert user is not None
        user.phone = number
        s.add(user)
        s.add(PhoneNumber(number=number, user_id=user_id, confirmed_at=utcnow()))


async def stop_texts(worker_url: str, number: str) -> None:
    """The person replies STOP; the gateway posts it to a worker, signed."""
    body = json.dumps({"id": f"in-{number}", "from": number, "text": "STOP"}).encode()
    stamp = str(int(time.time()))
    mac = hmac.new(WEBHOOK_SECRET.encode(), stamp.encode() + b"." + body, hashlib.sha256)
    async with httpx.AsyncClient(timeout=30) as http:
        r = await http.post(
            worker_url + "/sms/inbound/gateway",
            content=body,
            headers={
                "Content-Type": "application/json",
                "X-Odrchat-Timestamp": stamp,
                "X-Odrchat-Signature": "v1=" + mac.hexdigest(),
            },
        )
    assert r.status_code == 200, r.text


async def settled(cl: Cluster) -> None:
    """Wait (bounded) until the workers' outboxes have handled every row there is."""

    async def done() -> bool:
        rows = await cl.fetch("SELECT count(*) AS n FROM outbox WHERE status = 'pending'")
        return bool(rows[0]["n"] == 0)

    await apoll(done, "every outbox row handled", bound=90, every=0.2)


def env_for(smtp: SmtpServer, sms: RunningProvider) -> dict[str, str]:
    return {
        "SMTP_HOST": smtp.host,
        "SMTP_PORT": str(smtp.port),
        "SMTP_STARTTLS": "false",
        "SMTP_FROM": "ODR <odr@example.org>",
        "SMS_PROVIDER": "webhook",
        "SMS_WEBHOOK_URL": sms.gateway_url,
        "SMS_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "CENTRE_TIMEZONE": "America/Los_Angeles",
    }


async def test_notices_and_reminders_reach_people_once_across_two_workers(
    db: str, tmp_path: Path, smtp_up: SmtpServer
) -> None:
    w = await build_world(db)
    joint = w.rooms["joint"]
    database, other = Database(db), Database(db)
    try:
        await give_phone(database, w.users["paul"], PAUL)
        await give_phone(database, w.users["dana"], DANA)
        deployment = await deployment_id(database)
        presence = RedisPresence(
            redis_url(), "test-sweeper", prefix=f"odrchat:{deployment}:presence:"
        )
        async with fake_provider() as sms:
            with cluster(db, redis_url(), tmp_path, env=env_for(smtp_up, sms)) as cl:
                async with asyncio.timeout(300):
                    await _run(
                        cl, w.users, joint, w.case_id, database, other, presence, smtp_up, sms
                    )
        await presence.close()
    finally:
        await database.dispose()
        await other.dispose()


async def _run(
    cl: Cluster,
    users: dict[str, int],
    joint: int,
    case_id: int,
    database: Database,
    other: Database,
    presence: RedisPresence,
    smtp: SmtpServer,
    sms: RunningProvider,
) -> None:
    notifier = Notifier(cl.origin, SECRET_KEY, LA)
    settings = Settings(centre_timezone="America/Los_Angeles")

    # Dana looks in on worker 2, then closes the browser; paul writes on worker 1.
    dana = await cl.client("dana", 1)
    await dana.subscribe(joint)
    await dana.close()

    async def dana_gone() -> bool:
        return users["dana"] not in await presence.online(joint)

    await apoll(dana_gone, "dana no longer present")
    paul = await cl.client("paul", 0)
    await paul.subscribe(joint)
    t0 = utcnow()
    for i in range(3):
        ack = await paul.send(joint, f"{SECRET_TEXT} ({i})")
        assert ack["type"] == "chat.ack"

    # Paul replies STOP to a text before anything else goes to him.
    await stop_texts(cl.workers[1].url, PAUL)

    # Two sweepers at once, ten minutes on and then again later: one notice per room and person.
    sweepers = [AwayNotices(d, presence, notifier) for d in (database, other)]
    for later in (11, 12, 40):
        at = t0 + timedelta(minutes=later)
        await asyncio.gather(*(s.sweep(at) for s in sweepers))
    await settled(cl)
    news = [m for m in smtp.collector.messages if "News in your mediation" in str(m["Subject"])]
    to = sorted(str(m["To"]) for m in news)
    assert to.count("dana@example.org") == 1
    assert "paul@example.org" not in to  # his own messages, and he is there
    assert len(to) == len(set(to))  # one per person for the one room
    for m in news:
        body = m.get_body(("plain",))
        assert body is not None and SECRET_TEXT not in body.get_content()
        assert f"/#/cases/{case_id}" in body.get_content()
        assert SECRET_TEXT not in m.as_string()
    dana_texts = [t for t in sms.state.accepted if t.to == DANA]
    assert len(dana_texts) == 1 and SECRET_TEXT not in dana_texts[0].text

    # The court date is ten days away: reminders 7 and 2 days before, at 9:00 centre time.
    hearing = (t0.astimezone(LA) + timedelta(days=10)).date()
    await cl.fetch("UPDATE cases SET hearing_date = $1 WHERE id = $2", hearing, case_id)
    engines = [Reminders(d, notifier, registry.sources(settings)) for d in (database, other)]
    for days in (7, 2):
        nine = datetime.combine(hearing - timedelta(days=days), clock(9, 0), LA)
        for at in (nine - timedelta(minutes=1), nine, nine + timedelta(minutes=1)):
            fired = await asyncio.gather(*(e.sweep(at) for e in engines))
            assert sum(fired) == (1 if at == nine else 0), (days, at, fired)
    await settled(cl)
    court = [m for m in smtp.collector.messages if "court date" in str(m["Subject"])]
    per_person = sorted(str(m["To"]) for m in court)
    members = ["alex@example.org", "dana@example.org", "mia@example.org", "paul@example.org"]
    assert per_person == sorted(members * 2)  # each stage once to each, never to the observer
    for m in court:
        body = m.get_body(("plain",))
        assert body is not None
        assert "Mediation must finish before your court date" in body.get_content()
    dana_court = [t for t in sms.state.accepted if t.to == DANA and "court date" in t.text]
    assert len(dana_court) == 2
    # STOP stopped texts: none reached paul; his rows say why they were not sent.
    assert [t for t in sms.state.accepted if t.to == PAUL] == []
    paul_rows = await cl.fetch(
        "SELECT status, last_error FROM outbox WHERE channel = 'sms' AND recipient = $1", PAUL
    )
    assert paul_rows and {(r["status"], r["last_error"]) for r in paul_rows} == {
        ("unsent", "not sent: the number opted out (STOP)")
    }
    await _sent_means_accepted(cl, smtp, sms)


async def _sent_means_accepted(cl: Cluster, smtp: SmtpServer, sms: RunningProvider) -> None:
    """Every row marked sent was accepted by the SMTP server or the provider, and no more."""
    rows = await cl.fetch("SELECT channel, recipient, subject, body_text, status FROM outbox")
    sent_mail = sorted(
        (r["recipient"], r["subject"])
        for r in rows
        if r["channel"] == "email" and r["status"] == "sent"
    )
    got_mail = sorted((str(m["To"]), str(m["Subject"])) for m in smtp.collector.messages)
    assert sent_mail == got_mail
    sent_texts = sorted(
        (r["recipient"], r["body_text"])
        for r in rows
        if r["channel"] == "sms" and r["status"] == "sent"
    )
    got_texts = sorted((t.to, t.text) for t in sms.state.accepted)
    assert sent_texts == got_texts
    assert {r["status"] for r in rows} <= {"sent", "unsent"}
