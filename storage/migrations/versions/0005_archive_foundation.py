"""archive foundation: archive alerts; access-log actions up to 40 characters

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 19:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('archive_alerts',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('agency_code', sa.String(length=40), nullable=True),
    sa.Column('message_vi', sa.Text(), nullable=False),
    sa.Column('message_en', sa.Text(), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.Column('raised_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('acknowledged_by', sa.String(length=64), nullable=True),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('open_subject', sa.String(length=300), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_archive_alerts')),
    sa.UniqueConstraint('kind', 'open_subject', name='uq_archive_alerts_open')
    )
    op.create_index(op.f('ix_archive_alerts_agency_code'), 'archive_alerts', ['agency_code'], unique=False)
    op.create_index(op.f('ix_archive_alerts_raised_at'), 'archive_alerts', ['raised_at'], unique=False)
    with op.batch_alter_table('access_log') as batch:
        batch.alter_column('action', existing_type=sa.String(length=20), type_=sa.String(length=40),
                           existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('access_log') as batch:
        batch.alter_column('action', existing_type=sa.String(length=40), type_=sa.String(length=20),
                           existing_nullable=False)
    op.drop_index(op.f('ix_archive_alerts_raised_at'), table_name='archive_alerts')
    op.drop_index(op.f('ix_archive_alerts_agency_code'), table_name='archive_alerts')
    op.drop_table('archive_alerts')
