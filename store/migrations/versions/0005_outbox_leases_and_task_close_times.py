"""outbox leases, task close times and schedules, idempotent requests

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 22:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import store.types

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('notification') as table:
        table.add_column(sa.Column('lease_owner', sqlmodel.sql.sqltypes.AutoString(length=64),
                                   nullable=True))
        table.add_column(sa.Column('lease_until', store.types.UTCDateTime(), nullable=True))
    with op.batch_alter_table('task') as table:
        table.add_column(sa.Column('closes_at', store.types.UTCDateTime(), nullable=True))
        table.add_column(sa.Column('schedule', sa.JSON(), nullable=True))
    op.create_table('idempotentrequest',
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('person_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('request_digest', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('update_id', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('status', sa.Integer(), nullable=True),
    sa.Column('body', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('created_at', store.types.UTCDateTime(), nullable=False),
    sa.Column('expires_at', store.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_index(op.f('ix_idempotentrequest_expires_at'), 'idempotentrequest',
                    ['expires_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_idempotentrequest_expires_at'), table_name='idempotentrequest')
    op.drop_table('idempotentrequest')
    with op.batch_alter_table('task') as table:
        table.drop_column('schedule')
        table.drop_column('closes_at')
    with op.batch_alter_table('notification') as table:
        table.drop_column('lease_until')
        table.drop_column('lease_owner')
