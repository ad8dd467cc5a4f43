"""languages: each user's language

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 16:50:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                'language',
                sqlmodel.sql.sqltypes.AutoString(length=16),
                nullable=False,
                server_default='en',
            )
        )


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('language')
