"""language records: the language version of each consent, interpreter requests

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02 17:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                'text_language',
                sqlmodel.sql.sqltypes.AutoString(length=16),
                nullable=False,
                server_default='en',
            )
        )
        batch_op.add_column(
            sa.Column(
                'text_sha256',
                sqlmodel.sql.sqltypes.AutoString(length=64),
                nullable=False,
                server_default='',
            )
        )
    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('interpreter', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.drop_column('interpreter')
    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.drop_column('text_sha256')
        batch_op.drop_column('text_language')
