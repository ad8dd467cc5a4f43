"""payments: the signed agreement's instalments, the case's performed date, signature scans

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 16:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import odrchat.store.types

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agreement_instalments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("payer", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("payee", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("history", sa.Text(), nullable=False),
        sa.Column("updated_at", odrchat.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('due', 'reported_paid', 'paid', 'missed')",
            name="ck_agreement_instalments_status",
        ),
        sa.CheckConstraint("amount_cents > 0", name="ck_agreement_instalments_amount"),
        sa.ForeignKeyConstraint(["agreement_id"], ["agreements.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("agreement_id", "number", name="uq_agreement_instalments_number"),
    )
    op.create_index(
        "ix_agreement_instalments_agreement_id", "agreement_instalments", ["agreement_id"]
    )
    op.create_index("ix_agreement_instalments_due", "agreement_instalments", ["status", "due"])
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("performed_at", odrchat.store.types.UTCDateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("agreement_signatures", schema=None) as batch_op:
        batch_op.add_column(sa.Column("scan_document_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_agreement_signatures_scan_document_id", "documents", ["scan_document_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("agreement_signatures", schema=None) as batch_op:
        batch_op.drop_constraint("fk_agreement_signatures_scan_document_id", type_="foreignkey")
        batch_op.drop_column("scan_document_id")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("performed_at")
    op.drop_index("ix_agreement_instalments_due", table_name="agreement_instalments")
    op.drop_index("ix_agreement_instalments_agreement_id", table_name="agreement_instalments")
    op.drop_table("agreement_instalments")
