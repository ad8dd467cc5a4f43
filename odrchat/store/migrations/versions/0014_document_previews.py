"""document previews: image thumbnails and PDF page counts

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 16:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("thumb_key", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("page_count", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.drop_column("page_count")
        batch.drop_column("thumb_key")
