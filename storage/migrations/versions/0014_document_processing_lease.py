"""documents: the processing lease (run id, heartbeat) and chunk progress, for stuck-document recovery

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 22:45:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lease_owner', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('pages_done', sa.Integer(), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_column('pages_done')
        batch_op.drop_column('heartbeat_at')
        batch_op.drop_column('lease_owner')
