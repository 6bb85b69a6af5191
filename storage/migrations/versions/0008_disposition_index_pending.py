"""disposition: the search entries of a destruction still to remove

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 20:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('dispositions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('index_pending', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('dispositions', schema=None) as batch_op:
        batch_op.drop_column('index_pending')
