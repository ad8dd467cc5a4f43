"""A small claims case end to end over HTTP, with every email read back from a real SMTP server.

The app runs its real outbox worker and an SmtpMailer pointed at aiosmtpd on 127.0.0.1. Each
outcome (opt-out, impasse, decline, expiry) is carried from intake to the closing emails, and an
SMTP outage during an action loses nothing.
"""

from __future__ import annotations

import email
import email.message
import email.policy
import logging
import socket
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from starlette.testclient import TestClient

from odrchat.notify.smtp import SmtpMailer
from odrchat.settings import Settings
from odrchat.store.types import utcnow
from tests.cases.world import INVITE, PASSWORD, REASON, api_open, staff
from tests.helpers import client_for, login, outbox, post, register

WAIT = 30.0  # upper bound for an email to arrive; normally milliseconds
Mail = email.message.EmailMessage


def text_of(message: Mail) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


class Inbox:
    """An aiosmtpd handler that keeps every message; the (sync) test waits on a condition."""

    def __init__(self) -> None:
        self.messages: list[Mail] = []
        self._changed = threading.Condition()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._changed:
            self.messages.append(message)
            self._changed.notify_all()
        return "250 Message accepted"

    def wait_for(self, to: str, subject: str) -> Mail:
        """The first message to `to` whose subject contains `subject` (waits up to WAIT)."""

        def found() -> Mail | None:
            return next(
                (m for m in self.messages if m["To"] == to and subject in str(m["Subject"])),
                None,
            )

        with self._changed:
            message = self._changed.wait_for(found, WAIT)
        assert message is not None, f"no mail to {to} about {subject!r}: {self.subjects()}"
        return message

    def subjects(self) -> list[tuple[str, str]]:
        return [(str(m["To"]), str(m["Subject"])) for m in self.messages]


class SmtpServer:
    """aiosmtpd on a free loopback port that a test can start late (an outage)."""

    def __init__(self) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port: int = sock.getsockname()[1]
        self.inbox = Inbox()
        self._controller: Controller | None = None

    def mailer(self) -> SmtpMailer:
        return SmtpMailer(
            "127.0.0.1",
            self.port,
            None,
            None,
            "ODR <noreply@odr.example>",
            starttls=False,
            timeout=5.0,
        )

    def start(self) -> None:
        self._controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    """An SMTP server that is NOT running yet."""
    server = SmtpServer()
    try:
        yield server
    finally:
        server.stop()


def intake(c: TestClient, db_url: str, inbox: Inbox) -> tuple[int, str]:
    """Paul opens a small claims case; the invitation reaches dana by real SMTP."""
    register(c, db_url, "paul@example.org", "Paul Plaintiff")
    login(c, "paul@example.org")
    case = api_open(c, hearing_date="2027-03-02")
    invitation = inbox.wait_for("dana@example.org", "invites you to try online mediation")
    body = text_of(invitation)
    assert "Paul Plaintiff" in body and "small claims case 24SC01234" in body
    assert "voluntary" in body and "There is no fee for a filed case" in body
    assert "do not need a lawyer" in body and "paul@example.org" not in body
    found = INVITE.search(body)
    assert found is not None and body.count("http://testserver/#/invite/") == 1
    post(c, "/api/auth/logout", {})
    return int(case["id"]), found.group(1)


def to_mediation(c: TestClient, db_url: str, inbox: Inbox, case_id: int, token: str) -> int:
    """Dana registers through the link and joins, both consent, an admin assigns mia."""
    page = c.get(f"/api/invitations/{token}").json()
    assert page["inviter"] == "Paul Plaintiff" and "paul@example.org" not in str(page)
    register(c, db_url, "dana@example.org", "Dana Defendant", verify=False)
    login(c, "dana@example.org")
    assert post(c, f"/api/invitations/{token}/accept", {}).status_code == 200
    inbox.wait_for("paul@example.org", "The other side joined your case")
    version = c.get("/api/agreement-to-mediate").json()["version"]
    for who in ("dana@example.org", "paul@example.org"):
        login(c, who)
        r = post(c, f"/api/cases/{case_id}/consent", {"text_version": version})
        assert r.status_code == 200, r.text
    assert r.json()["status"] == "awaiting_mediator"

    mia = staff(c, "mia", "mediator")
    staff(c, "root", "admin")
    login(c, "root@example.org", PASSWORD)
    (waiting,) = c.get("/api/admin/queue").json()["cases"]
    assert waiting["id"] == case_id and waiting["suggested"]["id"] == mia
    r = post(c, f"/api/admin/cases/{case_id}/assign", {"mediator_id": mia})
    assert r.status_code == 200 and r.json()["status"] == "in_mediation"
    inbox.wait_for("mia@example.org", "You have been assigned as mediator")
    intro = text_of(inbox.wait_for("dana@example.org", "Your mediator has been assigned"))
    assert "I am Mia" in intro
    login(c, "dana@example.org")
    assert "I am Mia" in c.get(f"/api/cases/{case_id}").json()["mediator_intro"]
    return mia


def closing_words(inbox: Inbox, to: str, subject: str) -> str:
    return text_of(inbox.wait_for(to, subject))


@pytest.mark.parametrize("outcome", ["opt_out", "impasse", "decline", "expiry"])
def test_small_claims_case_from_intake_to_each_outcome(
    outcome: str, settings: Settings, db_url: str, smtp: SmtpServer
) -> None:
    smtp.start()
    with client_for(settings, mailer=smtp.mailer()) as c:
        case_id, token = intake(c, db_url, smtp.inbox)
        if outcome == "decline":
            assert post(c, f"/api/invitations/{token}/decline", None).status_code == 200
            for who in ("paul@example.org", "dana@example.org"):
                words = closing_words(smtp.inbox, who, "Mediation will not take place")
                assert "attend your court hearing on Tuesday, March 2, 2027" in words
        elif outcome == "expiry":
            services = c.app_state["services"]
            later = utcnow() + settings.invitation_ttl + timedelta(minutes=1)
            assert c.portal.call(services.cases.expire_invitations, later) == 1  # type: ignore[union-attr]
            for who in ("paul@example.org", "dana@example.org"):
                words = closing_words(smtp.inbox, who, "Mediation will not take place")
                assert "needs both sides to agree" in words
        else:
            to_mediation(c, db_url, smtp.inbox, case_id, token)
            if outcome == "opt_out":
                login(c, "dana@example.org")
                r = post(c, f"/api/cases/{case_id}/opt-out", {"reason": REASON})
                told: tuple[str, ...] = ("paul@example.org", "mia@example.org", "dana@example.org")
                subject, words = "Mediation has ended", "anyone may stop at any time"
            else:
                login(c, "mia@example.org", PASSWORD)
                r = post(c, f"/api/cases/{case_id}/impasse", None)
                told = ("paul@example.org", "dana@example.org")
                subject, words = "Mediation has ended", "ended without an agreement"
            assert r.status_code == 200, r.text
            for who in told:
                body = closing_words(smtp.inbox, who, subject)
                assert words in body
                # Nobody is told who stopped (dana's own copy greets her by name).
                assert "Dana" not in body.removeprefix("Hello Dana Defendant,")
                # The only penalty words are "without penalty": nobody is threatened.
                assert "penalt" not in body.replace("without penalty", "")
        login(c, "paul@example.org")
        detail = c.get(f"/api/cases/{case_id}").json()
        expected = {
            "opt_out": "opted_out",
            "impasse": "impasse",
            "decline": "declined",
            "expiry": "expired",
        }[outcome]
        assert (detail["status"], detail["outcome"]) == (expected, expected)
        assert detail["closed_at"] and detail["notice"] and detail["waiting_on_me"] is False
        # A used, declined or expired link never works again.
        assert c.get(f"/api/invitations/{token}").json()["error"]["code"] == "invalid_token"
        assert post(c, f"/api/invitations/{token}/accept", {}).status_code == 422
    assert all(REASON not in m.as_string() for m in smtp.inbox.messages)


class Failures(logging.Handler):
    """Records which outbox messages failed an attempt, and wakes a waiting test (no polling)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.failed: set[int] = set()
        self._changed = threading.Condition()

    def emit(self, record: logging.LogRecord) -> None:
        if "failed" in record.msg and isinstance(record.args, tuple):
            with self._changed:
                self.failed.add(int(record.args[0]))  # type: ignore[call-overload]
                self._changed.notify_all()

    def wait_for(self, message_id: int) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: message_id in self.failed, WAIT)


def watch_outbox(test: Callable[[Failures], None]) -> None:
    logger = logging.getLogger("odrchat.notify")
    failures = Failures()
    logger.addHandler(failures)
    try:
        test(failures)
    finally:
        logger.removeHandler(failures)


def test_an_smtp_outage_loses_no_notification(
    settings: Settings, db_url: str, smtp: SmtpServer
) -> None:
    def run(failures: Failures) -> None:
        with client_for(settings, mailer=smtp.mailer()) as c:
            register(c, db_url, "paul@example.org", "Paul Plaintiff")
            login(c, "paul@example.org")
            case = api_open(c)  # SMTP is down: the action still succeeds
            assert case["status"] == "invited"
            (queued,) = [m for m in outbox(db_url) if m.recipient == "dana@example.org"]
            assert queued.id is not None and failures.wait_for(queued.id)
            smtp.start()
            mail = smtp.inbox.wait_for("dana@example.org", "invites you")
            assert INVITE.search(text_of(mail)) is not None
        (row,) = [m for m in outbox(db_url) if m.recipient == "dana@example.org"]
        # Claimed at least twice: once into the outage, once after; never given up on.
        assert row.attempts >= 2 and row.status != "dead"

    watch_outbox(run)
