"""Accept and withdraw racing on one offer, sent to two real uvicorn workers at once.

Two `uvicorn odrchat.app:app_from_env` processes share one fresh PostgreSQL database and one
Redis. For each of N offers (one per case, since an accepted offer ends a case's negotiation),
dana's accept goes to worker 1 and paul's withdraw to worker 2 in the same instant. Exactly one
wins, the other gets 409 conflict, and the database shows exactly one resulting event per offer
in the case's joint room, and an agreement exactly when the accept won.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from odrchat.cases.tables import Case, Participant
from odrchat.rooms.presence import MemoryPresence
from odrchat.rooms.service import RoomService
from odrchat.store.db import Database
from tests.cluster import Cluster, cluster, fresh_database
from tests.offers.test_service import payment
from tests.rooms.world import World, world
from tests.services import redis_url

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

N = 20
SEATS = (("paul", "party", "plaintiff"), ("dana", "party", "defendant"), ("mia", "mediator", None))


@pytest.fixture
def db(pg_template: tuple[str, str]) -> Iterator[str]:
    with fresh_database(pg_template) as url:
        yield url


async def add_cases(db_url: str, w: World, n: int) -> list[tuple[int, int]]:
    """`n` small claims cases in mediation between paul and dana: (case id, joint room id)."""
    db = Database(db_url)
    found = []
    try:
        async with db.session() as s:
            for i in range(n):
                case = Case(
                    kind="small_claims",
                    status="in_mediation",
                    court_name="Superior Court",
                    court_case_number=f"SC-RACE-{i:02d}",
                    description="A race.",
                    initiator_side="plaintiff",
                    created_by=w.users["paul"],
                    mediator_id=w.users["mia"],
                )
                s.add(case)
                await s.flush()
                assert case.id is not None
                for who, role, side in SEATS:
                    s.add(Participant(case_id=case.id, user_id=w.users[who], role=role, side=side))
                rooms = await RoomService(db, MemoryPresence()).open_case_rooms(s, case.id)
                joint = next(r.id for r in rooms if r.kind == "joint")
                assert joint is not None
                found.append((case.id, joint))
    finally:
        await db.dispose()
    return found


@asynccontextmanager
async def browser(cl: Cluster, who: str) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client logged in as `who`, with the CSRF header set (good on every worker)."""
    cookie = await cl.login(who)
    headers = {"Origin": cl.origin, "Cookie": f"odr_session={cookie}"}
    async with httpx.AsyncClient(headers=headers, timeout=60) as http:
        token = (await http.get(cl.workers[0].url + "/api/session")).json()["csrf_token"]
        http.headers["X-CSRF-Token"] = token
        yield http


async def test_accept_and_withdraw_on_two_workers_have_exactly_one_winner(
    db: str, tmp_path: Path
) -> None:
    w = world(db)
    cases = await add_cases(db, w, N)
    with cluster(db, redis_url(), tmp_path) as cl:
        one, two = cl.workers[0].url, cl.workers[1].url
        async with asyncio.timeout(240), browser(cl, "paul") as paul, browser(cl, "dana") as dana:
            offers = []
            for case_id, _ in cases:
                r = await paul.post(
                    f"{one}/api/cases/{case_id}/offers", json={"terms": [payment(50_000)]}
                )
                assert r.status_code == 201, r.text
                offers.append(r.json()["id"])
            races = await asyncio.gather(
                *(
                    asyncio.gather(
                        dana.post(f"{one}/api/offers/{offer_id}/accept"),
                        paul.post(f"{two}/api/offers/{offer_id}/withdraw"),
                    )
                    for offer_id in offers
                )
            )
        winners: Counter[str] = Counter()
        for (accept, withdraw), offer_id, (case_id, joint) in zip(
            races, offers, cases, strict=True
        ):
            codes = (accept.status_code, withdraw.status_code)
            assert sorted(codes) == [200, 409], (offer_id, accept.text, withdraw.text)
            loser = accept if accept.status_code == 409 else withdraw
            assert loser.json()["error"]["code"] == "conflict"
            won = "accepted" if accept.status_code == 200 else "withdrawn"
            winners[won] += 1
            (status,) = await cl.fetch("SELECT status FROM offers WHERE id = $1", offer_id)
            assert status["status"] == won
            events = await cl.fetch(
                "SELECT type, body FROM room_events WHERE room_id = $1 ORDER BY seq", joint
            )
            types = [e["type"] for e in events]
            expected = ["offer.made", f"offer.{won}"]
            if won == "accepted":
                expected.append("agreement.drafted")
            assert types == expected, (offer_id, types)
            assert all(json.loads(e["body"])["case_id"] == case_id for e in events)
            drafted = await cl.fetch("SELECT offer_id FROM agreements WHERE case_id = $1", case_id)
            assert [d["offer_id"] for d in drafted] == ([offer_id] if won == "accepted" else [])
        assert sum(winners.values()) == N
        print(f"\n{N} races on two workers: {dict(winners)}; every loser answered 409")
