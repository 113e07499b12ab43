"""outbox leases and task close times

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


def downgrade() -> None:
    with op.batch_alter_table('task') as table:
        table.drop_column('closes_at')
    with op.batch_alter_table('notification') as table:
        table.drop_column('lease_until')
        table.drop_column('lease_owner')
