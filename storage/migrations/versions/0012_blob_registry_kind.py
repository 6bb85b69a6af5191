"""blob registry: each blob's kind and the dossier it was written for; the fixity run's lease

Revision ID: 0012
Revises: 0010
Create Date: 2026-12-04 20:55:00

Rows registered before this revision get their kind from their key and their dossier from their document.
"""
from alembic import op
import sqlalchemy as sa

revision = '0012'
down_revision = '0010'
branch_labels = None
depends_on = None

_KIND = """CASE
    WHEN key LIKE 'originals/%' THEN 'original'
    WHEN key LIKE 'derived/%/searchable.pdf' THEN 'searchable_pdf'
    WHEN key LIKE 'derived/%/text.json' THEN 'text'
    WHEN key LIKE 'derived/%/page-%.png' THEN 'thumbnail'
    WHEN key LIKE 'audit/%' THEN 'audit_checkpoint'
    ELSE 'other' END"""


def upgrade() -> None:
    with op.batch_alter_table('blob_records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=20), nullable=False, server_default='other'))
        batch_op.add_column(sa.Column('dossier_code', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_blob_records_dossier_code'), ['dossier_code'], unique=False)
    with op.batch_alter_table('fixity_state', schema=None) as batch_op:
        batch_op.add_column(sa.Column('running_until', sa.DateTime(timezone=True), nullable=True))
    op.execute(f"UPDATE blob_records SET kind = {_KIND}")
    op.execute("UPDATE blob_records SET dossier_code = (SELECT dossiers.code FROM documents JOIN dossiers "
               "ON dossiers.id = documents.dossier_id WHERE documents.id = blob_records.document_id) "
               "WHERE document_id IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table('fixity_state', schema=None) as batch_op:
        batch_op.drop_column('running_until')
    with op.batch_alter_table('blob_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_blob_records_dossier_code'))
        batch_op.drop_column('dossier_code')
        batch_op.drop_column('kind')
