"""Fixtures for notify tests: a real SMTP server on loopback and real databases."""

from __future__ import annotations

import asyncio
import email
import email.message
import email.policy
import socket
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import event, text
from sqlmodel import SQLModel

from odrchat.notify.smtp import SmtpMailer
from odrchat.store.db import Database
from tests.services import postgres_url

REFUSED_DOMAIN = "refused.invalid"
WAIT = 10.0  # upper bound for anything a test waits on; normally milliseconds


class SmtpCollector:
    """An aiosmtpd handler that keeps every message and wakes the test loop when one arrives.

    Addresses at REFUSED_DOMAIN are refused with a permanent 550.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.recipients: list[list[str]] = []
        self._loop = loop
        self._arrived = asyncio.Event()

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if address.endswith("@" + REFUSED_DOMAIN):
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        # Runs on the controller's own thread and loop; hand the message to the test loop.
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self._loop.call_soon_threadsafe(self._arrive, list(envelope.rcpt_tos), message)
        return "250 Message accepted"

    def _arrive(self, rcpt_tos: list[str], message: Any) -> None:
        self.recipients.append(rcpt_tos)
        self.messages.append(message)
        self._arrived.set()

    async def wait_for(self, count: int) -> None:
        """Wait (bounded by WAIT seconds) until at least `count` messages have arrived."""
        async with asyncio.timeout(WAIT):
            while len(self.messages) < count:
                self._arrived.clear()
                await self._arrived.wait()


class SmtpServer:
    """A loopback SMTP server that a test can start late (to simulate an outage)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.host = "127.0.0.1"
        self.port = _free_port()
        self.collector = SmtpCollector(loop)
        self.refused_domain = REFUSED_DOMAIN
        self._controller: Controller | None = None

    def mailer(self) -> SmtpMailer:
        """An SmtpMailer pointed at this server (whether or not it is running)."""
        return SmtpMailer(
            self.host,
            self.port,
            username=None,
            password=None,
            from_addr="ODR Chat <noreply@odr.example>",
            starttls=False,
            timeout=5.0,
        )

    async def start(self) -> None:
        controller = Controller(self.collector, hostname=self.host, port=self.port)
        # start() blocks until the server answers; keep the test loop (and its senders) running.
        await asyncio.to_thread(controller.start)
        self._controller = controller

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
async def smtp() -> AsyncIterator[SmtpServer]:
    """An SMTP server that is NOT running yet: call `await smtp.start()`."""
    server = SmtpServer(asyncio.get_running_loop())
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def smtp_up(smtp: SmtpServer) -> SmtpServer:
    """A running SMTP server."""
    await smtp.start()
    return smtp


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    """A fresh SQLite database file with the outbox table."""
    database = Database(f"sqlite:///{tmp_path / 'notify.db'}")
    await _create_outbox(database)
    try:
        yield database
    finally:
        await database.dispose()


def pg_database(url: str, schema: str) -> Database:
    """A Database whose connections all use `schema` (created by the caller)."""
    database = Database(url, pool_size=4)

    @event.listens_for(database.engine.sync_engine, "connect")
    def _search_path(dbapi_connection: Any, _record: Any) -> None:
        autocommit = dbapi_connection.autocommit
        dbapi_connection.autocommit = True
        cursor = dbapi_connection.cursor()
        cursor.execute(f'SET SESSION search_path TO "{schema}"')
        cursor.close()
        dbapi_connection.autocommit = autocommit

    return database


@pytest.fixture
async def pg_dbs() -> AsyncIterator[tuple[Database, Database]]:
    """Two handles (two pools, like two workers) on an outbox table in a schema of its own."""
    url = postgres_url()  # skips with the reason locally, fails under CI=true
    schema = f"notify_test_{uuid.uuid4().hex[:12]}"
    admin = Database(url, pool_size=1)
    async with admin.engine.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    first, second = pg_database(url, schema), pg_database(url, schema)
    try:
        await _create_outbox(first)
        yield first, second
    finally:
        await first.dispose()
        await second.dispose()
        async with admin.engine.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()


async def _create_outbox(database: Database) -> None:
    async with database.engine.begin() as conn:
        await conn.run_sync(
            SQLModel.metadata.create_all, tables=[SQLModel.metadata.tables["outbox"]]
        )
