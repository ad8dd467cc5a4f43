"""The SQLite half of group commit: one batch, one thread hop, one transaction.

Through SQLAlchemy and aiosqlite every statement is a round trip to a worker thread (about a
millisecond each here); a batch of messages needs six or more. This module runs the whole batch
synchronously on its own sqlite3 connection inside one dedicated thread, so a batch costs one
hop. It writes exactly what the SQLAlchemy models would (same columns, the same timestamp
format as SQLAlchemy's SQLite DATETIME), and the same log invariants hold (see log.py).
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime

from odrchat.rooms import guard, log
from odrchat.rooms.guard import Blocked
from odrchat.rooms.log import StoredEvent
from odrchat.store.db import SQLITE_BUSY_TIMEOUT_MS


def connect(path: str) -> sqlite3.Connection:
    """A connection configured like the app's own (WAL, foreign keys, busy timeout)."""
    conn = sqlite3.connect(
        path, isolation_level=None, check_same_thread=False, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000
    )
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    return conn


def _stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value).replace(tzinfo=UTC) if value is not None else None


def _blocked(
    conn: sqlite3.Connection,
    batch: list[log.Request],
    stored: dict[tuple[int, int, str], StoredEvent],
    at: datetime,
) -> dict[int, str]:
    """The requests the mediator's control refuses, read inside the batch's transaction
    (`rooms.guard`)."""
    room_ids = guard.rooms_to_check(batch)
    if not room_ids:
        return {}
    marks = ",".join("?" * len(room_ids))
    cases = conn.execute(
        "SELECT r.id, c.caucus, c.paused FROM rooms r "
        f"JOIN case_controls c ON c.case_id = r.case_id WHERE r.id IN ({marks})",
        room_ids,
    ).fetchall()
    members = conn.execute(
        "SELECT r.id, m.user_id, m.muted_until, m.removed FROM rooms r "
        f"JOIN member_controls m ON m.case_id = r.case_id WHERE r.id IN ({marks})",
        room_ids,
    ).fetchall()
    by_room = guard.states(
        ((rid, bool(c), bool(p)) for rid, c, p in cases),
        ((rid, uid, _when(until), bool(out)) for rid, uid, until, out in members),
    )
    return guard.blocked(batch, stored, by_room, at)


def commit(
    conn: sqlite3.Connection, batch: list[log.Request], at: datetime
) -> list[tuple[StoredEvent, bool] | Blocked]:
    """Store a batch in one transaction; returns (event, duplicate) per request, in order, or
    Blocked for a message the mediator's control refuses (`rooms.guard`)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        stored: dict[tuple[int, int, str], StoredEvent] = {}
        for room_id, _type, _body, _conf, sender_id, client_id in batch:
            row = conn.execute(
                "SELECT seq, type, at, body FROM room_events "
                "WHERE room_id = ? AND sender_id = ? AND client_id = ?",
                (room_id, sender_id, client_id),
            ).fetchone()
            if row is not None:
                when = datetime.fromisoformat(row[2]).replace(tzinfo=UTC)
                stored[(room_id, sender_id, client_id)] = StoredEvent(
                    room_id, row[0], row[1], when, sender_id, client_id, json.loads(row[3])
                )
        room_ids = sorted({r[0] for r in batch})
        marks = ",".join("?" * len(room_ids))
        heads: dict[int, tuple[int, str]] = {
            rid: (seq, h)
            for rid, seq, h in conn.execute(
                f"SELECT id, head_seq, head_hash FROM rooms WHERE id IN ({marks})", room_ids
            )
        }
        blocks = _blocked(conn, batch, stored, at)
        kept = [r for i, r in enumerate(batch) if i not in blocks]
        results, records = log.sequence(kept, heads, stored, at)
        stamp = _stamp(at)
        rows = [(*r[:7], stamp, *r[7:]) for r in records]
        if rows:
            conn.executemany(
                "INSERT INTO room_events (room_id, seq, type, sender_id, client_id, body, "
                "confidentiality, at, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            conn.executemany(
                "UPDATE rooms SET head_seq = ?, head_hash = ? WHERE id = ?",
                [(seq, h, rid) for rid, (seq, h) in heads.items()],
            )
        conn.execute("COMMIT")
        return guard.merge(batch, blocks, results)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
