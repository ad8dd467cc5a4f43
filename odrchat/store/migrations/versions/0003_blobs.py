"""blobs: uploaded documents' bytes kept in the database (the default document store)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 14:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import odrchat.store.types

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('blobs',
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('content_type', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('complete', sa.Boolean(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=True),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('created_at', odrchat.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('blob_chunks',
    sa.Column('blob_key', sa.String(length=64), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['blob_key'], ['blobs.key'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('blob_key', 'seq')
    )


def downgrade() -> None:
    op.drop_table('blob_chunks')
    op.drop_table('blobs')
