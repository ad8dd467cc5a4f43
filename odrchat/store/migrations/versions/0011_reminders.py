"""reminders, notification preferences, email headers, room_events.at index

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 17:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import odrchat.store.types


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('reminders_fired',
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('fired_at', odrchat.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_index('ix_reminders_fired_at', 'reminders_fired', ['fired_at'], unique=False)
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('notify_prefs', sa.Text(), server_default='{}', nullable=False))
        batch.add_column(sa.Column('quiet_from', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('quiet_until', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('time_zone', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
    with op.batch_alter_table('outbox') as batch:
        batch.add_column(sa.Column('headers', sa.Text(), server_default='[]', nullable=False))
    # The away-notice sweep reads only the last few days of events (odrchat.notify.away).
    op.create_index('ix_room_events_at', 'room_events', ['at'], unique=False)
    # Inbound reply ids are pruned by age (odrchat.reminders.engine).
    op.create_index('ix_inbound_replies_received_at', 'inbound_replies', ['received_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_inbound_replies_received_at', table_name='inbound_replies')
    op.drop_index('ix_room_events_at', table_name='room_events')
    with op.batch_alter_table('outbox') as batch:
        batch.drop_column('headers')
    with op.batch_alter_table('users') as batch:
        batch.drop_column('time_zone')
        batch.drop_column('quiet_until')
        batch.drop_column('quiet_from')
        batch.drop_column('notify_prefs')
    op.drop_index('ix_reminders_fired_at', table_name='reminders_fired')
    op.drop_table('reminders_fired')
