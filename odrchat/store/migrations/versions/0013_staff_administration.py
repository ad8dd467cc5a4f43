"""staff administration: disabled accounts, mediator profiles and days off, conflicts by name,
fee review

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 16:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import odrchat.store.types

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("disabled_at", odrchat.store.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("languages", sa.String(length=200), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("case_kinds", sa.String(length=200), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("max_active_cases", sa.Integer(), nullable=True))
    with op.batch_alter_table("mediator_conflicts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("party_name", sa.String(length=120), nullable=True))
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("fee_status", sa.String(length=16), nullable=True))
    op.create_table(
        "mediator_days_off",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mediator_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["mediator_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("mediator_id", "day", name="uq_mediator_days_off"),
    )
    with op.batch_alter_table("mediator_days_off", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mediator_days_off_mediator_id"), ["mediator_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("mediator_days_off", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mediator_days_off_mediator_id"))
    op.drop_table("mediator_days_off")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("fee_status")
    with op.batch_alter_table("mediator_conflicts", schema=None) as batch_op:
        batch_op.drop_column("party_name")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("max_active_cases")
        batch_op.drop_column("case_kinds")
        batch_op.drop_column("languages")
        batch_op.drop_column("disabled_at")
