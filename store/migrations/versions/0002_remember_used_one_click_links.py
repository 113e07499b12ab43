"""remember used one-click links

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 22:28:07.594966
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import store.types

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('usedlink',
    sa.Column('digest', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('person_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('task_id', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('used_at', store.types.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('digest')
    )


def downgrade() -> None:
    op.drop_table('usedlink')
