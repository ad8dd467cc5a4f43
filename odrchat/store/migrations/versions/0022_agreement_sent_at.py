"""agreements.sent_at: when the current text went out for signature (its reminders count from it)

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-03 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import odrchat.store.types

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("agreements", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("sent_at", odrchat.store.types.UTCDateTime(timezone=True), nullable=True)
        )
    # The best earlier guess: an agreement past its draft was last changed no earlier than sent.
    op.execute("UPDATE agreements SET sent_at = updated_at WHERE status <> 'draft'")


def downgrade() -> None:
    with op.batch_alter_table("agreements", schema=None) as batch_op:
        batch_op.drop_column("sent_at")
