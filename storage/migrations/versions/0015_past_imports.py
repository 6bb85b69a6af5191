"""past imports: the journal of dossiers brought in from past archives (`hoso import`), so a re-run skips them

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 22:50:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('past_imports',
    sa.Column('dossier_code', sa.String(length=64), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('source', sa.String(length=500), nullable=False),
    sa.Column('row_number', sa.Integer(), nullable=False),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('documents', sa.Integer(), nullable=False),
    sa.Column('pages', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('dossier_code', name=op.f('pk_past_imports'))
    )


def downgrade() -> None:
    op.drop_table('past_imports')
