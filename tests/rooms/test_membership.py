"""Access follows the case live: removal, closing, new rooms; transcripts per viewer; flags."""

from __future__ import annotations

from html.parser import HTMLParser

from sqlmodel import select

from odrchat.audit import AuditEntry
from odrchat.settings import Settings
from odrchat.store.db import Database
from tests.helpers import client_for, login
from tests.rooms.test_endpoint import send, socket, subscribe, until
from tests.rooms.world import PASSWORD, world
from tests.services import run_sync


def _as(c, who: str) -> None:  # type: ignore[no-untyped-def]
    c.cookies.clear()
    login(c, f"{who}@example.org", PASSWORD)


def _csrf(c) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"X-CSRF-Token": c.get("/api/session").json()["csrf_token"]}


def test_removed_attorney_stops_receiving_at_once(settings: Settings, db_url: str) -> None:
    w = world(db_url)
    joint, private = w.rooms["joint"], w.rooms["private:plaintiff"]
    with client_for(settings) as c, socket(c, "alex") as alex, socket(c, "paul") as paul:
        subscribe(alex, joint, after=0)
        subscribe(alex, private, after=0)
        subscribe(paul, joint, after=0)
        _as(c, "paul")
        r = c.delete(f"/api/cases/{w.case_id}/participants/{w.users['alex']}", headers=_csrf(c))
        assert r.status_code == 200, r.text
        closed = {until(alex, "room.closed")["room"], until(alex, "room.closed")["room"]}
        assert closed == {joint, private}
        assert until(alex, "rooms.changed")["rooms"] == []
        send(paul, joint, "after the attorney left", "x1")
        alex.send_json({"type": "room.subscribe", "id": "again", "room": joint})
        assert until(alex, "error", re="again")["code"] == "not_found"
        texts = [f.get("text") for f in alex.frames if f["type"] == "chat.message"]
        assert "after the attorney left" not in texts


def test_opting_out_makes_every_room_read_only(settings: Settings, db_url: str) -> None:
    w = world(db_url)
    joint = w.rooms["joint"]
    with client_for(settings) as c, socket(c, "paul") as paul, socket(c, "mia") as mia:
        subscribe(paul, joint, after=0)
        subscribe(mia, joint, after=0)
        _as(c, "dana")
        r = c.post(
            f"/api/cases/{w.case_id}/opt-out", json={"reason": "private reason"}, headers=_csrf(c)
        )
        assert r.status_code == 200, r.text
        for ws in (paul, mia):
            updated = until(ws, "room.updated", room=joint)
            assert updated["writable"] is False and updated["audience"]
            closed_events = [f for f in ws.frames if f["type"] == "case.closed"]
            assert len(closed_events) == 1
            assert "private reason" not in str(ws.frames)
        paul.send_json({"type": "chat.send", "id": "late", "room": joint, "text": "hello?"})
        assert until(paul, "error", re="late")["code"] == "forbidden"


def test_each_viewer_exports_only_what_they_may_see(settings: Settings, db_url: str) -> None:
    w = world(db_url)
    with client_for(settings) as c, socket(c, "paul") as paul, socket(c, "dana") as dana:
        subscribe(paul, w.rooms["private:plaintiff"], after=0)
        send(paul, w.rooms["private:plaintiff"], "<script>alert('paul')</script> secret", "p1")
        subscribe(dana, w.rooms["private:defendant"], after=0)
        send(dana, w.rooms["private:defendant"], "dana's own secret", "d1")
        subscribe(dana, w.rooms["joint"], after=0)
        send(dana, w.rooms["joint"], "hello all", "d2")

        _as(c, "dana")
        mine = c.get(f"/api/cases/{w.case_id}/transcript").json()
        assert {r["room"] for r in mine["rooms"]} == {
            w.rooms["joint"],
            w.rooms["private:defendant"],
        }
        assert "secret" not in str([r for r in mine["rooms"] if r["room"] == w.rooms["joint"]])
        assert "alert('paul')" not in str(mine)

        _as(c, "paul")
        page = c.get(f"/api/cases/{w.case_id}/transcript.html")
        assert page.status_code == 200 and "attachment" in page.headers["content-disposition"]
        assert "&lt;script&gt;alert(&#x27;paul&#x27;)&lt;/script&gt; secret" in page.text
        assert "dana&#x27;s own secret" not in page.text and "dana's own secret" not in page.text
        tags = _tags(page.text)
        assert "script" not in tags

        _as(c, "eve")
        assert c.get(f"/api/cases/{w.case_id}/transcript").status_code == 404
        assert c.get(f"/api/cases/{w.case_id}/transcript.html").status_code == 404

        _as(c, "admin")
        everything = c.get(f"/api/cases/{w.case_id}/transcript").json()
        assert len(everything["rooms"]) == 4
    assert "transcript.export" in _audit_actions(db_url)


def test_mediator_flags_reach_the_admin_only(settings: Settings, db_url: str) -> None:
    w = world(db_url)
    joint = w.rooms["joint"]
    with client_for(settings) as c, socket(c, "paul") as paul, socket(c, "mia") as mia:
        subscribe(paul, joint, after=0)
        subscribe(mia, joint, after=0)
        seq = send(paul, joint, "I will hurt you", "t1")["seq"]
        paul.send_json(
            {"type": "message.flag", "id": "f0", "room": joint, "seq": seq, "reason": "nope"}
        )
        assert until(paul, "error", re="f0")["code"] == "forbidden"
        mia.send_json(
            {
                "type": "message.flag",
                "id": "f1",
                "room": joint,
                "seq": seq,
                "reason": "threat of harm",
            }
        )
        assert until(mia, "message.flagged", re="f1")["seq"] == seq
        _as(c, "mia")
        assert c.get("/api/admin/flags").status_code == 403
        _as(c, "admin")
        flags = c.get("/api/admin/flags").json()["flags"]
        assert [(f["room"], f["seq"], f["reason"]) for f in flags] == [
            (joint, seq, "threat of harm")
        ]
        # Flagging discloses nothing automatically: the parties' view is unchanged.
        assert not any(f["type"] == "message.flagged" for f in paul.frames)


def _tags(page: str) -> set[str]:
    found: set[str] = set()

    class P(HTMLParser):
        def handle_starttag(self, tag: str, attrs: object) -> None:
            found.add(tag)

    P().feed(page)
    return found


def _audit_actions(db_url: str) -> list[str]:
    async def read() -> list[str]:
        db = Database(db_url)
        try:
            async with db.session() as s:
                return [e.action for e in (await s.exec(select(AuditEntry))).all()]
        finally:
            await db.dispose()

    return run_sync(read())


def test_a_change_missed_during_a_broker_gap_is_caught_by_the_recheck(
    settings: Settings, db_url: str
) -> None:
    """A participant removed while no doorbell reached this worker (simulated by changing the
    row directly) loses the room at the re-check the hub runs after every broker resync."""
    from sqlmodel import col, update

    from odrchat.cases.tables import Participant

    w = world(db_url)
    joint = w.rooms["joint"]
    with client_for(settings) as c, socket(c, "alex") as alex, socket(c, "paul") as paul:
        subscribe(alex, joint, after=0)
        subscribe(paul, joint, after=0)

        async def remove_quietly() -> None:
            db = Database(db_url)
            try:
                async with db.session() as s:
                    await s.exec(
                        update(Participant)
                        .where(
                            col(Participant.case_id) == w.case_id,
                            col(Participant.user_id) == w.users["alex"],
                        )
                        .values(active=False)
                    )
            finally:
                await db.dispose()

        run_sync(remove_quietly())
        hub = c.app_state["services"].hub
        assert c.portal is not None
        c.portal.call(hub.recheck_all)  # what the hub runs on every Resynced
        alex.send_json({"type": "room.subscribe", "id": "again", "room": joint})
        assert until(alex, "error", re="again")["code"] == "not_found"
        closed = [f for f in alex.frames if f["type"] == "room.closed"]
        assert [f["room"] for f in closed] == [joint]
        # Paul kept his room and heard nothing about it.
        send(paul, joint, "still here", "p1")
        assert not [f for f in paul.frames if f["type"] in ("room.closed", "room.updated")]


def test_everyone_lists_the_case_rooms_they_may_read_admins_too(
    settings: Settings, db_url: str
) -> None:
    """GET /api/cases/{id}/rooms lists exactly the rooms of the case the caller may read, in
    hello.rooms' shape: an administrator, whose hello lists no rooms (they take part in no
    case), gets every room, read-only, and can subscribe with those ids. Anyone else: 404."""
    w = world(db_url)
    r = w.rooms
    expected = {
        "paul": {r["joint"], r["private:plaintiff"]},
        "alex": {r["joint"], r["private:plaintiff"]},
        "dana": {r["joint"], r["private:defendant"]},
        "mia": set(r.values()),
        "otto": {r["joint"], r["mediators"]},
        "admin": set(r.values()),
    }
    with client_for(settings) as c:
        for who, rooms in expected.items():
            _as(c, who)
            listed = c.get(f"/api/cases/{w.case_id}/rooms")
            assert listed.status_code == 200, listed.text
            body = listed.json()
            assert body["case_id"] == w.case_id
            assert {x["room"] for x in body["rooms"]} == rooms, who
        _as(c, "eve")
        assert c.get(f"/api/cases/{w.case_id}/rooms").status_code == 404
        assert c.get("/api/cases/999999/rooms").status_code == 404

        _as(c, "paul")
        paul_list = c.get(f"/api/cases/{w.case_id}/rooms").json()["rooms"]
        with socket(c, "paul") as paul:
            assert sorted(paul.hello["rooms"], key=lambda x: x["room"]) == sorted(
                paul_list, key=lambda x: x["room"]
            )
        _as(c, "admin")
        admin_list = c.get(f"/api/cases/{w.case_id}/rooms").json()["rooms"]
        assert not any(x["writable"] for x in admin_list)
        with socket(c, "admin") as admin:
            assert admin.hello["rooms"] == []
            snapshot, _ = subscribe(admin, r["private:defendant"], after=0)
            assert snapshot["writable"] is False
