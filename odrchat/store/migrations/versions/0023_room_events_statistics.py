"""room_events: no planner statistics for the message body and the chain hashes (PostgreSQL)

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06 05:40:00

No query filters, joins or sorts on these columns, yet every ANALYZE of the busiest table
(autovacuum runs one each time it grows by a tenth) sorted and compared a sample of them: at
39,000 rows, on an idle 2-core machine, it took 190 ms of PostgreSQL CPU with them and 70-128
ms without them.
"""

from __future__ import annotations

from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

COLUMNS = ("body", "prev_hash", "hash")


def _set(target: int) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite keeps no per-column statistics target
    parts = ", ".join(f"ALTER COLUMN {c} SET STATISTICS {target}" for c in COLUMNS)
    op.execute(f"ALTER TABLE room_events {parts}")


def upgrade() -> None:
    _set(0)


def downgrade() -> None:
    _set(-1)  # the default target
