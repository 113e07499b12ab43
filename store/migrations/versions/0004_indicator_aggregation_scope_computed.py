"""indicator aggregation, scope and computed

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 00:25:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('indicator') as table:
        table.add_column(sa.Column('aggregation', sqlmodel.sql.sqltypes.AutoString(length=8),
                                   nullable=False, server_default='last'))
        table.add_column(sa.Column('scope', sqlmodel.sql.sqltypes.AutoString(length=16),
                                   nullable=False, server_default='portfolio'))
        table.add_column(sa.Column('computed', sqlmodel.sql.sqltypes.AutoString(length=32),
                                   nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('indicator') as table:
        table.drop_column('computed')
        table.drop_column('scope')
        table.drop_column('aggregation')
