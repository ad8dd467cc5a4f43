"""A cast for security tests, built once per session into a SQLite template and copied per test.

Every role of docs/protocol.md and the FAQ takes part in case A (offers) and case A2 (the same
cast, with a drafted agreement); case B has its own people (the "other case"); eve is a user with
a case of her own (C) and nothing else. Each person is logged in once while the template is built,
so a copy carries valid sessions and a test needs no login round trips.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlmodel import col, select
from starlette.testclient import TestClient

from odrchat.auth import csrf
from odrchat.auth.tables import User
from odrchat.cases.tables import Case, Invitation, Participant
from odrchat.rooms import log
from odrchat.safety import screening
from odrchat.safety.tables import HelpRequest
from odrchat.services import Services
from odrchat.settings import TEST_ARGON2, Settings
from odrchat.store.types import utcnow
from tests.conftest import SECRET
from tests.documents import samples
from tests.helpers import client_for

PASSWORD = "correct horse battery"
ORIGIN = "http://testserver"

# role in the matrix -> (person, participant role, side)
CAST: dict[str, tuple[str, str, str | None]] = {
    "plaintiff": ("paul", "party", "plaintiff"),
    "defendant": ("dana", "party", "defendant"),
    "plaintiff_attorney": ("alex", "attorney", "plaintiff"),
    "defendant_attorney": ("dora", "attorney", "defendant"),
    "mediator": ("mia", "mediator", None),
    "co_mediator": ("cole", "co_mediator", None),
    "observer": ("otto", "observer", None),
}
STAFF = {
    "mia": "mediator",
    "cole": "mediator",
    "otto": "mediator",
    "max": "mediator",
    "tia": "mediator",
    "ada": "admin",
}
# tia: a mediator in training, added to A and B as an observer the mediator has not approved yet.
PEOPLE = (
    "paul",
    "dana",
    "alex",
    "dora",
    "mia",
    "cole",
    "otto",
    "ada",
    "eve",
    "bob",
    "bea",
    "max",
    "tia",
)
ROLE_PERSON = {
    **{role: who for role, (who, _, _) in CAST.items()},
    "admin": "ada",
    "stranger": "eve",
}


# Distinctive phone numbers for the people of case A's two sides (the contact-leak test looks for
# them, and for their email addresses, in everything the other side receives).
PHONES = {
    "paul": "+12135550111",
    "alex": "+12135550122",
    "dana": "+13105550133",
    "dora": "+13105550144",
}
# Screening answers of case A's parties: each note is a marker the other side must never see.
SCREENING_NOTES = {
    "paul": "SCREENING-NOTE-paul-asks-for-an-interpreter",
    "dana": "SCREENING-NOTE-dana-is-afraid-of-paul",
}


def terms(text: str = "The defendant returns the ladder.") -> list[dict[str, Any]]:
    return [{"kind": "free_text", "text": text}]


@dataclass
class World:
    users: dict[str, int]
    tokens: dict[str, str]  # person -> session cookie value
    # A (offers), A2 (agreement out for signature), A3 (draft agreement), B (someone else's,
    # agreement out), B3 (someone else's, draft), C (eve's), I (paul's, invitation open),
    # J (bob's, invitation open), K (bob's, invitation to paul open)
    cases: dict[str, int]
    rooms: dict[str, dict[str, int]]  # case -> room key -> room id
    offers: dict[str, int]  # "A" (open offer), "A2" (accepted), "B", "B2"
    agreements: dict[str, int]  # keyed by case, as above
    path: Path = field(default_factory=Path)
    # A PDF shared in the joint room of A and B ("A", "B"), and one in the plaintiff's private
    # room of each ("A-private" by paul, "B-private" by bob).
    documents: dict[str, int] = field(default_factory=dict)
    conflict: int = 0  # a conflict of interest recorded for mia (the conflict endpoints' row)
    # A chat message in the joint room of A ("A") and paul's in his private room ("A-private");
    # a relay paul proposed from that message, waiting for the mediator ("A").
    messages: dict[str, int] = field(default_factory=dict)
    relays: dict[str, int] = field(default_factory=dict)
    # A help request dana made in A, and bob in B (both open, made an hour before the tests).
    helps: dict[str, int] = field(default_factory=dict)
    # Open party invitations, by the case they invite to: "K" (bob's case, to paul's confirmed
    # address) and "I" (paul's case, to ivy, who has no account).
    invitations: dict[str, int] = field(default_factory=dict)

    def cookie(self, person: str) -> str:
        return self.tokens[person]


def settings_for(url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": url,
        "secret_key": SECRET,
        "public_url": ORIGIN,
        "argon2": TEST_ARGON2,
        "outbox_enabled": False,
        "run_migrations": False,
    }
    values.update(overrides)
    return Settings(**values)


def headers(settings: Settings, token: str | None) -> dict[str, str]:
    """Origin, cookie and CSRF headers of a logged-in browser (or an anonymous one)."""
    out = {"origin": ORIGIN}
    if token is not None:
        name, _ = csrf.cookie_names(settings)
        out["cookie"] = f"{name}={token}"
        out["x-csrf-token"] = csrf.token_for(settings, token)
    return out


async def _seed(services: Services) -> dict[str, Any]:
    users: dict[str, User] = {}
    async with services.db.session() as s:
        pw = await services.passwords.hash(PASSWORD)
        for name in PEOPLE:
            user = User(
                email=f"{name}@example.org",
                display_name=name.title(),
                password_hash=pw,
                staff_role=STAFF.get(name, ""),
                email_verified_at=utcnow(),
                phone=PHONES.get(name),
            )
            s.add(user)
            users[name] = user
        await s.flush()

        async def case(
            cast: dict[str, tuple[str, str | None]], mediator: str, co: str | None = None
        ) -> tuple[int, dict[str, int]]:
            row = Case(
                kind="small_claims",
                status="in_mediation",
                court_name="Superior Court",
                court_case_number="SC-2026-0042",
                description="A ladder never returned.",
                initiator_side="plaintiff",
                created_by=users["paul"].id or 0,
                mediator_id=users[mediator].id,
                co_mediator_id=users[co].id if co else None,
            )
            s.add(row)
            await s.flush()
            assert row.id is not None
            for who, (role, side) in cast.items():
                s.add(Participant(case_id=row.id, user_id=users[who].id or 0, role=role, side=side))
            rooms = await services.rooms.open_case_rooms(s, row.id)
            keys = {r.kind if r.side is None else f"{r.kind}:{r.side}": r.id or 0 for r in rooms}
            return row.id, keys

        full = {who: (role, side) for who, role, side in CAST.values()}
        a, rooms_a = await case(full, "mia", "cole")
        a2, rooms_a2 = await case(full, "mia", "cole")
        a3, _ = await case(full, "mia", "cole")
        b, rooms_b = await case(
            {
                "bob": ("party", "plaintiff"),
                "bea": ("party", "defendant"),
                "max": ("mediator", None),
            },
            "max",
        )
        b3, _ = await case(
            {
                "bob": ("party", "plaintiff"),
                "bea": ("party", "defendant"),
                "max": ("mediator", None),
            },
            "max",
        )
        c, rooms_c = await case({"eve": ("party", "plaintiff"), "max": ("mediator", None)}, "max")
        for pending in (a, b):
            s.add(
                Participant(
                    case_id=pending, user_id=users["tia"].id or 0, role="observer", approved=False
                )
            )
    offers = services.offers
    open_a = await offers.make(users["paul"], a, terms())
    accepted = await offers.make(users["paul"], a2, terms())
    await offers.accept(users["dana"], accepted["id"])
    open_b = await offers.make(users["bob"], b, terms())
    accepted_b = await offers.make(users["bea"], b, terms("Bob keeps the ladder."))
    await offers.accept(users["bob"], accepted_b["id"])
    for who, answers, where in (("paul", "dana", a3), ("bob", "bea", b3)):
        drafted = await offers.make(users[who], where, terms())
        await offers.accept(users[answers], drafted["id"])
    async with services.db.session() as s:
        ag_a2 = await services.agreements.of_case(s, a2)
        ag_a3 = await services.agreements.of_case(s, a3)
        ag_b = await services.agreements.of_case(s, b)
        ag_b3 = await services.agreements.of_case(s, b3)
    assert ag_a2 is not None and ag_a2.id is not None and ag_b is not None and ag_b.id is not None
    assert ag_a3 is not None and ag_b3 is not None
    # Out for signature, so that signing answers by role rather than "not sent yet".
    await services.agreements.send_for_signature(users["mia"], ag_a2.id)
    await services.agreements.send_for_signature(users["max"], ag_b.id)
    # Case I: paul has invited ivy, who has not answered (the invitation endpoints' case).
    invited = await services.cases.open_case(
        users["paul"],
        kind="small_claims",
        side="plaintiff",
        court_name="Superior Court",
        court_case_number="SC-2026-0099",
        hearing_date=None,
        description="Not answered yet.",
        other_name="Ivy",
        other_email="ivy@example.org",
        other_phone=None,
        share_contact=False,
    )
    for who, afraid in (("paul", False), ("dana", True)):
        answers = screening.answers_of("no", afraid, False, not afraid, SCREENING_NOTES[who])
        await services.safety.answer(users[who], a, answers)
    # dana's flagged answers put case A in caucus-only mode (issue 16); the mediator, having
    # spoken with both sides, opens the joint room again, so every seat acts as the rows say.
    await services.control.set_caucus(a, False, users["mia"], "Both sides asked to meet jointly.")
    other = await services.cases.open_case(
        users["bob"],
        kind="small_claims",
        side="plaintiff",
        court_name="Superior Court",
        court_case_number="SC-2026-0098",
        hearing_date=None,
        description="Not answered yet.",
        other_name="Jo",
        other_email="jo@example.org",
        other_phone=None,
        share_contact=False,
    )
    # Case K: bob has invited paul, whose address is confirmed (the endpoints an addressee
    # answers by id: paul is the addressee, nobody else in the matrix is).
    addressed = await services.cases.open_case(
        users["bob"],
        kind="small_claims",
        side="plaintiff",
        court_name="Superior Court",
        court_case_number="SC-2026-0097",
        hearing_date=None,
        description="Not answered yet.",
        other_name="Paul",
        other_email="paul@example.org",
        other_phone=None,
        share_contact=False,
    )
    invitations: dict[str, int] = {}
    async with services.db.session() as s:
        for key, case_id in (("K", addressed), ("I", invited)):
            stmt = select(Invitation.id).where(col(Invitation.case_id) == case_id)
            invitations[key] = (await s.exec(stmt)).one() or 0
    messages: dict[str, int] = {}
    for room_id in (*rooms_a.values(), *rooms_b.values()):
        async with services.db.session() as s:
            seeded = await log.append(
                s,
                room_id,
                "chat.message",
                {"msg_id": "seed", "text": "seed"},
                confidentiality="joint",
                at=utcnow(),
            )
            if room_id == rooms_a["joint"]:
                messages["A"] = seeded.seq
    async with services.db.session() as s:
        paul = users["paul"]
        own = await log.append(
            s,
            rooms_a["private:plaintiff"],
            "chat.message",
            {
                "msg_id": "seed-own",
                "text": "I could take half.",
                "sender": {"id": paul.id, "name": "Paul", "role": "party", "side": "plaintiff"},
            },
            confidentiality="private",
            at=utcnow(),
            sender_id=paul.id,
            client_id="seed-own",
        )
        messages["A-private"] = own.seq
    relay = await services.control.share(
        users["paul"], rooms_a["private:plaintiff"], seq=messages["A-private"]
    )
    helps: dict[str, int] = {}
    for key, who, case_id in (("A", "dana", a), ("B", "bob", b)):
        await services.safety.ask_help(users[who], case_id, "question")
        async with services.db.session() as s:
            stmt = select(HelpRequest.id).where(col(HelpRequest.case_id) == case_id)
            helps[key] = (await s.exec(stmt)).one() or 0
    # Asked an hour ago: a party may ask again (one alert every two minutes), however soon
    # after the world is built a test runs.
    async with services.db.session() as s:
        for request in (await s.exec(select(HelpRequest))).all():
            request.at = request.at - timedelta(hours=1)
            s.add(request)
    documents: dict[str, int] = {}
    # The joint rooms' files are photos (they have thumbnails), the private ones PDFs.
    for key, rooms, who, room, name, data in (
        ("A", rooms_a, "paul", "joint", "photo.jpg", samples.jpeg_with_gps()),
        ("A-private", rooms_a, "paul", "private:plaintiff", "lease.pdf", samples.pdf()),
        ("B", rooms_b, "bob", "joint", "photo.jpg", samples.jpeg_with_gps()),
        ("B-private", rooms_b, "bob", "private:plaintiff", "lease.pdf", samples.pdf()),
    ):
        shared = await services.documents.upload(
            users[who],
            rooms[room],
            lambda key=key, name=name: (f"seed-{key}", name, ""),  # type: ignore[misc]
            _one(data),
        )
        assert shared.document.id is not None
        documents[key] = shared.document.id
    conflict = await services.cases.add_conflict(
        users["ada"], users["mia"].id or 0, "zed@example.org", None, "seed"
    )
    return {
        "conflict": conflict,
        "documents": documents,
        "users": {n: u.id for n, u in users.items()},
        "cases": {
            "A": a,
            "A2": a2,
            "A3": a3,
            "B": b,
            "B3": b3,
            "C": c,
            "I": invited,
            "J": other,
            "K": addressed,
        },
        "rooms": {"A": rooms_a, "A2": rooms_a2, "B": rooms_b, "C": rooms_c},
        "offers": {
            "A": open_a["id"],
            "A2": accepted["id"],
            "B": open_b["id"],
            "B2": accepted_b["id"],
        },
        "agreements": {"A2": ag_a2.id, "A3": ag_a3.id, "B": ag_b.id, "B3": ag_b3.id},
        "messages": messages,
        "relays": {"A": relay["id"]},
        "helps": helps,
        "invitations": invitations,
    }


async def _one(data: bytes) -> AsyncIterator[bytes]:
    yield data


def build_template(path: Path) -> World:
    """Migrate, seed and log everyone in, into the SQLite file at `path`."""
    settings = settings_for(f"sqlite:///{path}", run_migrations=True)
    with client_for(settings) as c:
        services: Services = c.app_state["services"]
        seeded = c.portal.call(_seed, services)  # type: ignore[union-attr]
        tokens = {}
        name, _ = csrf.cookie_names(settings)
        for person in PEOPLE:
            c.cookies.clear()
            r = c.post(
                "/api/auth/login",
                json={"email": f"{person}@example.org", "password": PASSWORD},
                headers={"x-csrf-token": c.get("/api/session").json()["csrf_token"]},
            )
            assert r.status_code == 200, r.text
            tokens[person] = c.cookies[name]
        c.cookies.clear()
    return World(
        seeded["users"],
        tokens,
        seeded["cases"],
        seeded["rooms"],
        seeded["offers"],
        seeded["agreements"],
        path,
        seeded["documents"],
        seeded["conflict"],
        seeded["messages"],
        seeded["relays"],
        seeded["helps"],
        seeded["invitations"],
    )


def copy_of(template: World, directory: Path) -> tuple[World, Settings]:
    """A private copy of the template database, and settings pointing at it."""
    target = directory / f"w{len(list(directory.glob('w*.sqlite3')))}.sqlite3"
    shutil.copy(template.path, target)
    for suffix in ("-wal", "-shm"):
        extra = Path(str(template.path) + suffix)
        if extra.exists():
            shutil.copy(extra, Path(str(target) + suffix))
    world = World(
        template.users,
        template.tokens,
        template.cases,
        template.rooms,
        template.offers,
        template.agreements,
        target,
        template.documents,
        template.conflict,
        template.messages,
        template.relays,
        template.helps,
        template.invitations,
    )
    return world, settings_for(f"sqlite:///{target}")


@contextmanager
def app_for(
    template: World, directory: Path, **kwargs: Any
) -> Iterator[tuple[TestClient, World, Settings]]:
    """A fresh copy of the world and a running app on it."""
    world, settings = copy_of(template, directory)
    with client_for(settings, **kwargs) as client:
        yield client, world, settings


def future(days: int = 30) -> str:
    return (date.today() + timedelta(days=days)).isoformat()
