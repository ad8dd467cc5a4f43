"""paper signatures: how a signature was given, and who recorded a wet-ink one

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 14:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import odrchat.store.types

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("agreement_signatures", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("method", sa.String(length=16), nullable=False, server_default="electronic")
        )
        batch_op.add_column(sa.Column("recorded_by", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("recorded_at", odrchat.store.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_foreign_key(
            "fk_agreement_signatures_recorded_by", "users", ["recorded_by"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("agreement_signatures", schema=None) as batch_op:
        batch_op.drop_constraint("fk_agreement_signatures_recorded_by", type_="foreignkey")
        batch_op.drop_column("recorded_at")
        batch_op.drop_column("recorded_by")
        batch_op.drop_column("method")
