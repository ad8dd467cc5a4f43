"""outbox: status 'unsent' for a message whose channel has no provider configured

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 14:00:00
"""

from __future__ import annotations

from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_constraint('ck_outbox_status', type_='check')
        batch_op.create_check_constraint(
            'ck_outbox_status', "status IN ('pending', 'sent', 'dead', 'unsent')"
        )


def downgrade() -> None:
    # An 'unsent' row was never handed to anyone: 'dead' is the honest old-schema word for it.
    op.execute("UPDATE outbox SET status = 'dead' WHERE status = 'unsent'")
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_constraint('ck_outbox_status', type_='check')
        batch_op.create_check_constraint(
            'ck_outbox_status', "status IN ('pending', 'sent', 'dead')"
        )
