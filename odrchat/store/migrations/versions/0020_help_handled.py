"""help requests: who marked each one handled, and when

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03 08:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import odrchat.store.types

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("help_requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("handled_by", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("handled_at", odrchat.store.types.UTCDateTime(), nullable=True)
        )
        batch_op.create_foreign_key(
            "fk_help_requests_handled_by_users", "users", ["handled_by"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("help_requests", schema=None) as batch_op:
        batch_op.drop_constraint("fk_help_requests_handled_by_users", type_="foreignkey")
        batch_op.drop_column("handled_at")
        batch_op.drop_column("handled_by")
