"""archival files: the history of a file's states (open, closed, deposited) as rows of their own

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 20:55:00
"""
from datetime import datetime

from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    events = op.create_table('archival_file_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('file_id', sa.String(length=32), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('by', sa.String(length=64), nullable=False),
    sa.Column('from_state', sa.String(length=30), nullable=True),
    sa.Column('to_state', sa.String(length=30), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['file_id'], ['archival_files.id'],
                            name=op.f('fk_archival_file_events_file_id_archival_files'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_archival_file_events'))
    )
    op.create_index(op.f('ix_archival_file_events_file_id'), 'archival_file_events', ['file_id'], unique=False)
    # State changes kept so far in the file's JSON column move to the new table (files are few: thousands at most).
    files = sa.table('archival_files', sa.column('id', sa.String()), sa.column('history', sa.JSON()))
    connection = op.get_bind()
    batch: list[dict[str, object]] = []
    for file_id, history in connection.execute(sa.select(files.c.id, files.c.history)).all():
        for h in history or []:
            batch.append({'file_id': file_id, 'at': datetime.fromisoformat(h['at']), 'by': h.get('by', ''),
                          'from_state': h.get('from'), 'to_state': h['to'], 'note': h.get('note', '')})
    for start in range(0, len(batch), 500):
        connection.execute(sa.insert(events), batch[start:start + 500])


def downgrade() -> None:
    op.drop_index(op.f('ix_archival_file_events_file_id'), table_name='archival_file_events')
    op.drop_table('archival_file_events')
