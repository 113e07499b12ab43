"""calendar feeds: each person's private iCalendar URL, kept as a digest of its secret

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 14:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import store.types

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('calendarfeed',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('secret_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', store.types.UTCDateTime(), nullable=False),
    sa.Column('revoked_at', store.types.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('secret_hash')
    )
    op.create_index(op.f('ix_calendarfeed_person_id'), 'calendarfeed', ['person_id'],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_calendarfeed_person_id'), table_name='calendarfeed')
    op.drop_table('calendarfeed')
