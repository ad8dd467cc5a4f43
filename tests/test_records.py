"""Records: tampering is reported, retention purges transcripts only, the audit log only grows."""

from __future__ import annotations

import ast
import inspect
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, text
from sqlmodel import col, select

import odrchat
from odrchat import audit, records
from odrchat.agreements.tables import AgreementRow, SignatureRow
from odrchat.app import all_endpoints
from odrchat.cases.tables import Case
from odrchat.cli import main
from odrchat.offers.tables import OfferRow
from odrchat.rooms import log
from odrchat.rooms.tables import Room, RoomEvent
from odrchat.store.db import Database
from odrchat.store.types import utcnow
from tests.rooms.world import World, build_world
from tests.services import run_sync

RETENTION = timedelta(days=30)


async def _chat(db: Database, room_id: int, sender: int, count: int) -> None:
    async with db.session() as s:
        for i in range(count):
            await log.append(
                s,
                room_id,
                "chat.message",
                {"msg_id": f"m{i}", "text": f"hello {i}"},
                confidentiality="joint",
                at=utcnow(),
                sender_id=sender,
                client_id=f"m{i}-{room_id}",
            )


async def _world(db_url: str, messages: int = 3) -> World:
    w = await build_world(db_url)
    db = Database(db_url)
    try:
        for room_id in w.rooms.values():
            await _chat(db, room_id, w.users["mia"], messages)
    finally:
        await db.dispose()
    return w


def _verify_cli(db_url: str, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    return main(["verify"])


def test_an_intact_database_verifies(
    db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    run_sync(_world(db_url))
    assert _verify_cli(db_url, monkeypatch) == 0
    assert "every room's chain holds" in capsys.readouterr().out


def test_a_body_edited_in_the_database_is_reported(
    db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    w = run_sync(_world(db_url))
    joint = w.rooms["joint"]

    async def tamper() -> list[log.ChainBreak]:
        db = Database(db_url)
        try:
            async with db.session() as s:
                edit = "UPDATE room_events SET body = :b WHERE room_id = :r AND seq = 2"
                await (await s.connection()).execute(
                    text(edit),
                    {"b": '{"msg_id":"m1","text":"I never said that"}', "r": joint},
                )
            return await records.verify_all(db)
        finally:
            await db.dispose()

    breaks = run_sync(tamper())
    assert breaks == [log.ChainBreak(joint, 2, "record altered")]
    assert _verify_cli(db_url, monkeypatch) == 1
    assert f"room {joint}: seq 2: record altered" in capsys.readouterr().out


def test_deleting_the_last_row_is_reported(
    db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    w = run_sync(_world(db_url))
    room = w.rooms["private:defendant"]

    async def tamper() -> list[log.ChainBreak]:
        db = Database(db_url)
        try:
            async with db.session() as s:
                await (await s.connection()).execute(
                    text("DELETE FROM room_events WHERE room_id = :r AND seq = 3"),
                    {"r": room},
                )
            return await records.verify_all(db)
        finally:
            await db.dispose()

    [found] = run_sync(tamper())
    assert (found.room_id, found.seq) == (room, 3) and "removed" in found.reason
    assert _verify_cli(db_url, monkeypatch) == 1
    assert f"room {room}: seq 3" in capsys.readouterr().out


async def _closed_cases(db_url: str) -> dict[str, int]:
    """Four cases: old closed, old closed under hold, recently closed, still open."""
    w = await _world(db_url)
    db = Database(db_url)
    now = utcnow()
    ids = {"open": w.case_id}
    try:
        async with db.session() as s:
            for name, closed in (
                ("old", now - RETENTION - timedelta(days=1)),
                ("held", now - RETENTION - timedelta(days=400)),
                ("recent", now - RETENTION + timedelta(days=1)),
            ):
                case = Case(
                    kind="small_claims",
                    status="settled",
                    description=f"case {name}",
                    initiator_side="plaintiff",
                    created_by=w.users["paul"],
                    closed_at=closed,
                    outcome="settled",
                )
                s.add(case)
                await s.flush()
                assert case.id is not None
                ids[name] = case.id
                for kind, side in (("joint", None), ("private", "plaintiff")):
                    s.add(Room(case_id=case.id, kind=kind, side=side))
                offer = OfferRow(
                    case_id=case.id,
                    maker_user_id=w.users["paul"],
                    maker_role="party",
                    maker_side="plaintiff",
                    terms="[]",
                    status="accepted",
                )
                s.add(offer)
                await s.flush()
                assert offer.id is not None
                agreement = AgreementRow(
                    case_id=case.id,
                    offer_id=offer.id,
                    status="signed",
                    text="We agree.",
                    document_sha256="0" * 64,
                )
                s.add(agreement)
                await s.flush()
                assert agreement.id is not None
                s.add(
                    SignatureRow(
                        agreement_id=agreement.id,
                        signer_user_id=w.users["paul"],
                        for_side="plaintiff",
                        by_role="party",
                        typed_name="Paul",
                        at=now,
                        document_sha256="0" * 64,
                        esign_consent_at=now,
                    )
                )
            await records.place_hold(s, ids["held"], w.users["admin"], "complaint pending")
        async with db.session() as s:
            room_ids = (
                await s.exec(
                    select(Room.id).where(
                        col(Room.case_id).in_([ids["old"], ids["held"], ids["recent"]])
                    )
                )
            ).all()
        for room_id in room_ids:
            assert room_id is not None
            await _chat(db, room_id, w.users["paul"], 2)
    finally:
        await db.dispose()
    return ids


async def _events_by_case(db: Database) -> dict[int, int]:
    async with db.session() as s:
        rows = await s.exec(
            select(Room.case_id, func.count(col(RoomEvent.id)))
            .join(RoomEvent, col(RoomEvent.room_id) == col(Room.id))
            .group_by(col(Room.case_id))
        )
        return {int(c): int(n) for c, n in rows.all()}


def test_purge_deletes_old_transcripts_and_keeps_agreements_audit_and_holds(db_url: str) -> None:
    ids = run_sync(_closed_cases(db_url))

    async def scenario() -> None:
        db = Database(db_url)
        try:
            before = await _events_by_case(db)
            async with db.session() as s:
                audit_before = len(await audit.entries(s, limit=10_000))
            dry = await records.purge(db, RETENTION, dry_run=True)
            assert dry.cases == (ids["old"],) and dry.events == 4
            assert await _events_by_case(db) == before  # a dry run deletes nothing

            report = await records.purge(db, RETENTION, actor_id=None)
            assert report == records.PurgeReport((ids["old"],), 2, 4, (ids["held"],))
            after = await _events_by_case(db)
            assert ids["old"] not in after
            for kept in ("held", "recent", "open"):
                assert after[ids[kept]] == before[ids[kept]]
            async with db.session() as s:
                agreements = (await s.exec(select(AgreementRow))).all()
                signatures = (await s.exec(select(SignatureRow))).all()
                entries = await audit.entries(s, limit=10_000)
            assert {a.case_id for a in agreements} == {ids["old"], ids["held"], ids["recent"]}
            assert len(signatures) == 3
            assert len(entries) == audit_before + 1  # one more, none removed
            assert entries[0].action == "records.purge" and entries[0].case_id == ids["old"]
            assert '"head_seq": 2' in entries[0].detail
            assert await records.verify_all(db) == []  # emptied rooms verify
            again = await records.purge(db, RETENTION)
            assert again.cases == () and again.events == 0  # nothing twice, no new audit entry

            async with db.session() as s:
                assert await records.lift_hold(s, ids["held"], None)
            lifted = await records.purge(db, RETENTION)
            assert lifted.cases == (ids["held"],) and lifted.held == ()
        finally:
            await db.dispose()

    run_sync(scenario())


def test_purge_cli_reports(
    db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    run_sync(_closed_cases(db_url))
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    monkeypatch.setenv("RETENTION_DAYS", "30")
    assert main(["purge", "--dry-run"]) == 0
    assert "would delete 4 event(s) in 2 room(s) of 1 case(s); 1 case(s)" in capsys.readouterr().out
    assert main(["purge"]) == 0
    assert "deleted 4 event(s)" in capsys.readouterr().out
    assert main(["verify"]) == 0


# -- the audit log only grows -------------------------------------------------------------------


def test_the_audit_module_has_no_way_to_change_or_remove_an_entry() -> None:
    public = {
        name
        for name, obj in vars(audit).items()
        if inspect.isfunction(obj) and obj.__module__ == audit.__name__
    }
    # Writing one entry, and reading: the staff's filtered log and its CSV (issue 17).
    assert public == {
        "record",
        "entries",
        "entry_json",
        "read",
        "case_roles",
        "role_of",
        "csv_rows",
    }
    tree = ast.parse(inspect.getsource(audit))
    called = {
        n.func.id
        for n in ast.walk(tree)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
    }
    assert not called & {"update", "delete"}
    assert not any(isinstance(n, ast.Attribute) and n.attr == "delete" for n in ast.walk(tree))


def test_no_code_updates_or_deletes_audit_rows() -> None:
    """Nothing in the package passes AuditEntry to update()/delete() or session.delete()."""
    offenders = []
    for path in Path(odrchat.__file__).parent.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = (
                node.func.id
                if isinstance(node.func, ast.Name)
                else (node.func.attr if isinstance(node.func, ast.Attribute) else "")
            )
            if name in ("update", "delete") and any(
                isinstance(a, ast.Name) and a.id == "AuditEntry" for a in node.args
            ):
                offenders.append(f"{path}:{node.lineno}")
    assert offenders == []
    source = "\n".join(p.read_text() for p in Path(odrchat.__file__).parent.rglob("*.py")).lower()
    assert "update audit_log" not in source and "delete from audit_log" not in source


def test_no_endpoint_under_the_audit_path_accepts_anything_but_get() -> None:
    audit_eps = [ep for ep in all_endpoints() if ep.path.startswith("/api/admin/audit")]
    assert audit_eps and {ep.method for ep in audit_eps} == {"GET"}
    assert all(ep.access == "admin" for ep in audit_eps)
