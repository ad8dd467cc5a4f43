"""room control and relays

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 16:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import odrchat.store.types

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_controls",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("caucus", sa.Boolean(), nullable=False),
        sa.Column("safety", sa.Boolean(), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("updated_at", odrchat.store.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("case_id"),
    )
    op.create_table(
        "member_controls",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("muted_until", odrchat.store.types.UTCDateTime(), nullable=True),
        sa.Column("removed", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("case_id", "user_id"),
    )
    op.create_table(
        "hidden_messages",
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("hidden_by", sa.Integer(), nullable=False),
        sa.Column("at", odrchat.store.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.ForeignKeyConstraint(["hidden_by"], ["users.id"]),
        sa.ForeignKeyConstraint(["room_id"], ["rooms.id"]),
        sa.PrimaryKeyConstraint("room_id", "seq"),
    )
    op.create_index(
        op.f("ix_hidden_messages_case_id"), "hidden_messages", ["case_id"], unique=False
    )
    op.create_table(
        "relays",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("source_room_id", sa.Integer(), nullable=False),
        sa.Column("source_seq", sa.Integer(), nullable=True),
        sa.Column("offer_id", sa.Integer(), nullable=True),
        sa.Column("side", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("own_words", sa.Boolean(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
        sa.Column("proposed_by", sa.Integer(), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("target_room_id", sa.Integer(), nullable=True),
        sa.Column("target_seq", sa.Integer(), nullable=True),
        sa.Column("created_at", odrchat.store.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.ForeignKeyConstraint(["decided_by"], ["users.id"]),
        sa.ForeignKeyConstraint(["proposed_by"], ["users.id"]),
        sa.ForeignKeyConstraint(["source_room_id"], ["rooms.id"]),
        sa.ForeignKeyConstraint(["target_room_id"], ["rooms.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_relays_case_id"), "relays", ["case_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_relays_case_id"), table_name="relays")
    op.drop_table("relays")
    op.drop_index(op.f("ix_hidden_messages_case_id"), table_name="hidden_messages")
    op.drop_table("hidden_messages")
    op.drop_table("member_controls")
    op.drop_table("case_controls")
