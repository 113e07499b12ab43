"""page sessions opened by emailed sign-in links end when idle

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 14:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import store.types

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('pagesession') as batch:
        batch.add_column(sa.Column('last_seen_at', store.types.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('pagesession') as batch:
        batch.drop_column('last_seen_at')
