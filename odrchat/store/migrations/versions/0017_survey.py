"""survey: invitations (who was asked) and anonymous answers, with no key between them

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import odrchat.store.types

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "survey_invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", odrchat.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", odrchat.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("answered", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id", "user_id", name="uq_survey_invitations_case_user"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("survey_invitations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_survey_invitations_case_id"), ["case_id"], unique=False
        )
    scores = ("heard", "neutral", "clear", "again")
    op.create_table(
        "survey_answers",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=True) for name in scores),
        sa.Column("comment", sa.Text(), server_default="", nullable=False),
        sa.Column("month", sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
        *(
            sa.CheckConstraint(f"{name} IS NULL OR {name} BETWEEN 1 AND 5", name=f"ck_survey_{name}")
            for name in scores
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("survey_answers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_survey_answers_month"), ["month"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("survey_answers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_survey_answers_month"))
    op.drop_table("survey_answers")
    with op.batch_alter_table("survey_invitations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_survey_invitations_case_id"))
    op.drop_table("survey_invitations")
