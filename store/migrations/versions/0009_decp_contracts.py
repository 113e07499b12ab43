"""the buyer's DECP contracts, for the legal indicators; each portfolio's CPV prefixes

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 18:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import store.types

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'decpcontract',
        sa.Column('uid', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column('contract_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column('buyer', sqlmodel.sql.sqltypes.AutoString(length=14), nullable=False),
        sa.Column('objet', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column('amount', sa.Float(), nullable=False),
        sa.Column('notified', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('cpv', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('procedure', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column('nature', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column('social', sa.JSON(), nullable=False),
        sa.Column('environmental', sa.JSON(), nullable=False),
        sa.Column('fingerprint', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('imported_at', store.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('uid'),
    )
    op.create_index('ix_decpcontract_buyer', 'decpcontract', ['buyer'])
    op.create_index('ix_decpcontract_notified', 'decpcontract', ['notified'])
    op.create_index('ix_decpcontract_year', 'decpcontract', ['year'])
    with op.batch_alter_table('portfolio') as batch:
        batch.add_column(sa.Column('cpv', sa.JSON(), nullable=False, server_default='[]'))


def downgrade() -> None:
    with op.batch_alter_table('portfolio') as batch:
        batch.drop_column('cpv')
    op.drop_index('ix_decpcontract_year', table_name='decpcontract')
    op.drop_index('ix_decpcontract_notified', table_name='decpcontract')
    op.drop_index('ix_decpcontract_buyer', table_name='decpcontract')
    op.drop_table('decpcontract')
