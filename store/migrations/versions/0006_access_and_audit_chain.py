"""people proposals for an admin, the access revision

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 22:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import store.types

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    revisions = op.create_table('accessrevision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.bulk_insert(revisions, [{'id': 1, 'revision': 0}])
    op.create_table('personproposal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('current_role', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('record', sa.JSON(), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('proposed_at', store.types.UTCDateTime(), nullable=True),
    sa.Column('settled_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('settled_at', store.types.UTCDateTime(), nullable=True),
    sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_personproposal_person_id'), 'personproposal', ['person_id'],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_personproposal_person_id'), table_name='personproposal')
    op.drop_table('personproposal')
    op.drop_table('accessrevision')
