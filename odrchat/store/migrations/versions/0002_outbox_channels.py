"""outbox: the channel column is free text, checked by the outbox's channel registry

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 13:50:00
"""

from __future__ import annotations

from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A new channel registers a renderer and a sender (odrchat.notify.channel); it must not
    # need a schema change too. The outbox marks a row of an unknown channel dead.
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_constraint('ck_outbox_channel', type_='check')


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_check_constraint('ck_outbox_channel', "channel IN ('email', 'sms')")
