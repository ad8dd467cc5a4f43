"""/metrics: only the operator reads it; it counts chat traffic and never repeats what was said."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from odrchat.notify.email import SmsMessage
from odrchat.notify.outbox import enqueue
from odrchat.settings import Secret, Settings
from odrchat.store.db import Database
from tests.cluster import ROOT, Client, Worker, apoll, free_port
from tests.helpers import client_for
from tests.rooms.test_endpoint import send, socket, subscribe
from tests.rooms.world import PASSWORD, World, world
from tests.services import redis_url, run_sync

TOKEN = "metrics-token-0123456789"
BEARER = {"Authorization": f"Bearer {TOKEN}"}


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of an exposition, keyed by name and sorted labels."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_metrics_are_404_without_a_token_configured(settings: Settings) -> None:
    with client_for(settings) as c:
        assert c.get("/metrics").status_code == 404
        assert c.get("/metrics", headers=BEARER).status_code == 404


def test_metrics_need_the_operators_bearer_token(
    db_url: str, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings(db_url, metrics_token=Secret(TOKEN))
    with client_for(settings) as c:
        for headers in (
            {},
            {"Authorization": "Bearer wrong-token-0123456789"},
            {"Authorization": f"Basic {TOKEN}"},
            {"Authorization": TOKEN},
        ):
            r = c.get("/metrics", headers=headers)
            assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
            assert "odrchat_" not in r.text
        r = c.get("/metrics", headers=BEARER)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
        assert r.headers["cache-control"] == "no-store"


@pytest.fixture
def w(db_url: str) -> World:
    return world(db_url)


def test_chat_traffic_is_counted_without_its_content(
    db_url: str, make_settings: Callable[..., Settings], w: World
) -> None:
    """Sockets, subscriptions, stored messages (a resend is not stored twice), ack latency and
    batch sizes, broker state and the outbox backlog; no text, name or case number anywhere."""
    settings = make_settings(db_url, metrics_token=Secret(TOKEN), outbox_enabled=False)

    async def queue_sms() -> None:
        db = Database(db_url)
        try:
            async with db.session() as s:
                await enqueue(s, SmsMessage(to="+15555550100", text="Your mediation starts"))
        finally:
            await db.dispose()

    run_sync(queue_sms())
    joint = w.rooms["joint"]
    texts = ["A secret offer of 1200", "Counter at 900", "Fine, 1000"]
    with client_for(settings) as c, socket(c, "paul") as paul, socket(c, "dana") as dana:
        for ws in (paul, dana):
            subscribe(ws, joint, after=0)
        subscribe(paul, w.rooms["private:plaintiff"], after=0)
        send(paul, joint, texts[0], "m1")
        send(dana, joint, texts[1], "m2")
        send(paul, joint, texts[2], "m3")
        assert send(paul, joint, texts[2], "m3")["duplicate"] is True
        text = c.get("/metrics", headers=BEARER).text
    got = samples(text)
    assert got[("odrchat_messages_stored_total", ())] == 3
    assert got[("odrchat_chat_ack_seconds_count", ())] == 4
    assert got[("odrchat_chat_ack_seconds_sum", ())] > 0
    assert got[("odrchat_writer_batch_messages_sum", ())] == 4
    assert 1 <= got[("odrchat_writer_batch_messages_count", ())] <= 4
    assert got[("odrchat_sockets", ())] == 2
    assert got[("odrchat_rooms_watched", ())] == 2
    assert got[("odrchat_room_subscriptions", ())] == 3
    assert got[("odrchat_broker_state", (("state", "ok"),))] == 1
    assert got[("odrchat_broker_state", (("state", "down"),))] == 0
    assert got[("odrchat_broker_resyncs_total", ())] >= 1  # the start counts as one
    assert got[("odrchat_outbox_messages", (("channel", "sms"), ("status", "pending")))] == 1
    assert got[("odrchat_outbox_oldest_pending_seconds", ())] >= 0
    for secret in (*texts, "Paul", "Dana", "SC-2026-0042", "+15555550100", "mediation starts"):
        assert secret not in text
    assert f"{joint}" not in {v for (_n, labels) in got for _k, v in labels}


@dataclass
class Served:
    """`odrchat serve --workers 2` with metrics on, a world in its SQLite database."""

    proc: subprocess.Popen[bytes]
    base: str
    port: int
    shared: Path
    world: World
    log: Path

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(30)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    redis = redis_url()
    port, shared = free_port(), tmp_path / "prom"
    shared.mkdir()
    (shared / "gauge_livesum_999999.db").write_bytes(b"stale")  # a previous run's: wiped
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("ODRCHAT_ENV", "PUBLIC_URL")},
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "REDIS_URL": redis,
        "SECRET_KEY": "metrics-test-secret-0123456789-abcdefghij",
        "METRICS_TOKEN": TOKEN,
        "PROMETHEUS_MULTIPROC_DIR": str(shared),
        "PYTHONPATH": str(ROOT),
        "LOG_FORMAT": "json",
    }
    upgrade = [sys.executable, "-m", "odrchat", "db", "upgrade"]
    subprocess.run(upgrade, env=env, cwd=tmp_path, check=True, capture_output=True, timeout=120)
    w = world(env["DATABASE_URL"])
    args = [sys.executable, "-m", "odrchat", "serve", "--port", str(port), "--workers", "2"]
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        proc = subprocess.Popen(args, env=env, cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT)
    served = Served(proc, f"http://127.0.0.1:{port}", port, shared, w, log)
    try:
        yield served
    finally:
        served.stop()


@pytest.mark.redis
async def test_workers_on_one_socket_report_the_whole_installation(served: Served) -> None:
    """`odrchat serve --workers 2`: whichever worker answers a scrape counts every worker's
    sockets (prometheus-client's multiprocess mode), and a stopped server leaves nothing."""
    proc, base, shared, w = served.proc, served.base, served.shared, served.world
    clients: list[Client] = []
    try:
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:

            async def scrape() -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
                r = await http.get("/metrics", headers=BEARER)
                assert r.status_code == 200, r.text
                return samples(r.text)

            async def two_workers_ready() -> bool:
                if proc.poll() is not None:
                    raise AssertionError(served.log.read_text()[-3000:])
                try:
                    got = await scrape()
                except httpx.HTTPError:
                    return False
                return got.get(("odrchat_broker_state", (("state", "ok"),))) == 2

            await apoll(two_workers_ready, "both workers up with their broker connected", 60)
            token = (await http.get("/api/session")).json()["csrf_token"]
            r = await http.post(
                "/api/auth/login",
                json={"email": w.email("paul"), "password": PASSWORD},
                headers={"X-CSRF-Token": token, "Origin": base},
            )
            assert r.status_code == 200, r.text
            cookie = str(r.cookies["odr_session"])
            target = Worker(served.port, {}, served.log)
            for _ in range(8):
                client = Client("paul", cookie, base)
                await client.connect(target)
                clients.append(client)

            async def all_counted() -> bool:
                got = await scrape()  # answered by either worker; the others' files lag 5 s
                return got[("odrchat_sockets", ())] == 8

            await apoll(all_counted, "8 sockets counted across the workers", 20)
            pids = {f.name.rsplit("_", 1)[1] for f in shared.glob("gauge_livesum_*.db")}
            assert len(pids) == 2 and "999999.db" not in pids
            for _ in range(6):  # every answer, from whichever worker, is the whole picture
                assert (await scrape())[("odrchat_sockets", ())] == 8
    finally:
        for client in clients:
            await client.abort()
        served.stop()
    assert not list(shared.glob("gauge_livesum_*.db")), "stopped workers left live gauges"
    # LOG_FORMAT=json holds for the supervisor and both workers: every log line is JSON.
    lines = [x for x in served.log.read_text().splitlines() if x and not x.startswith("odrchat:")]
    logged = [json.loads(x) for x in lines]
    assert {x["message"] for x in logged} >= {"Application startup complete."}
    assert len({x["message"] for x in logged if "Started server process" in x["message"]}) == 2
