"""retention: the day up to which the S3 object-lock retention of a dossier's originals has been set

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 21:10:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('dossier_retention', schema=None) as batch_op:
        batch_op.add_column(sa.Column('object_retention_on', sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('dossier_retention', schema=None) as batch_op:
        batch_op.drop_column('object_retention_on')
