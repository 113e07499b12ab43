"""people proposals, the access revision, the audit hash chain, page sessions

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 22:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import store.types
from store.audit import GENESIS, entry_hash

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
    with op.batch_alter_table('auditentry') as table:
        table.add_column(sa.Column('sequence', sa.Integer(), nullable=True))
        table.add_column(sa.Column('origin', sqlmodel.sql.sqltypes.AutoString(length=8),
                                   nullable=False, server_default='api'))
        table.add_column(sa.Column('changes', sa.JSON(), nullable=True))
        table.add_column(sa.Column('previous_hash', sqlmodel.sql.sqltypes.AutoString(length=64),
                                   nullable=True))
        table.add_column(sa.Column('hash', sqlmodel.sql.sqltypes.AutoString(length=64),
                                   nullable=True))
        table.create_index('ix_auditentry_sequence', ['sequence'], unique=True)
    chain = op.create_table('auditchain',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('length', sa.Integer(), nullable=False),
    sa.Column('last_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    length, last = _seal_earlier_rows()
    op.bulk_insert(chain, [{'id': 1, 'length': length, 'last_hash': last}])
    op.create_table('pagesession',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('secret_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('person_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('token_id', sa.Integer(), nullable=True),
    sa.Column('created_at', store.types.UTCDateTime(), nullable=True),
    sa.Column('expires_at', store.types.UTCDateTime(), nullable=False),
    sa.Column('revoked_at', store.types.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('secret_hash')
    )
    op.create_index(op.f('ix_pagesession_person_id'), 'pagesession', ['person_id'], unique=False)


def _seal_earlier_rows() -> tuple[int, str]:
    """Chain the rows written before this revision, oldest first."""
    entries = sa.table(
        'auditentry',
        sa.column('id', sa.Integer()),
        sa.column('at', store.types.UTCDateTime()),
        *(sa.column(name) for name in ('person_id', 'token_id', 'method', 'path', 'action',
                                       'target', 'status', 'sequence', 'origin',
                                       'previous_hash', 'hash')),
    )
    connection = op.get_bind()
    rows = connection.execute(sa.select(entries).order_by(entries.c.id)).mappings().all()
    previous = GENESIS
    for number, row in enumerate(rows, start=1):
        sealed = {**row, 'sequence': number, 'origin': 'api', 'changes': None,
                  'previous_hash': previous}
        digest = entry_hash(sealed)
        connection.execute(
            entries.update().where(entries.c.id == row['id'])
            .values(sequence=number, origin='api', previous_hash=previous, hash=digest)
        )
        previous = digest
    return len(rows), previous


def downgrade() -> None:
    op.drop_index(op.f('ix_pagesession_person_id'), table_name='pagesession')
    op.drop_table('pagesession')
    op.drop_table('auditchain')
    with op.batch_alter_table('auditentry') as table:
        table.drop_index('ix_auditentry_sequence')
        for name in ('hash', 'previous_hash', 'changes', 'origin', 'sequence'):
            table.drop_column(name)
    op.drop_index(op.f('ix_personproposal_person_id'), table_name='personproposal')
    op.drop_table('personproposal')
    op.drop_table('accessrevision')
