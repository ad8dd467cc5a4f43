"""sweep_turns: which worker runs a periodic sweep (odrchat.store.turns)

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06 08:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import odrchat.store.types

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sweep_turns",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("next_at", odrchat.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("sweep_turns")
