"""audit chain: the access log's entries chained by SHA-256, its head, and triggers that refuse changes

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 19:55:00
"""
from alembic import op
import sqlalchemy as sa

from records.access_log import AccessEntry, AccessKind
from records.audit import GENESIS, chain_hash

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

_REFUSE = "the audit log is append-only: entries are never changed or removed"


def upgrade() -> None:
    with op.batch_alter_table('access_log') as batch:
        batch.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('entry_hash', sa.String(length=64), nullable=True))
    op.create_table('audit_head',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('last_id', sa.BigInteger(), nullable=False),
    sa.Column('last_hash', sa.String(length=64), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_head'))
    )
    connection = op.get_bind()
    log = sa.table('access_log', *(sa.column(name) for name in (
        'id', 'at', 'principal_kind', 'username', 'agency_code', 'action', 'reason', 'dossier_code', 'document_id',
        'share_id', 'client', 'detail', 'prev_hash', 'entry_hash')))
    from storage.models import UTCDateTime
    text_columns = ('principal_kind', 'username', 'agency_code', 'action', 'reason', 'dossier_code', 'document_id',
                    'share_id', 'client')
    typed = sa.table('access_log', sa.column('id', sa.BigInteger()), sa.column('at', UTCDateTime()),
                     sa.column('detail', sa.JSON()), *(sa.column(name, sa.String()) for name in text_columns))
    # The entries already there are chained in id order, a batch at a time (memory stays flat for a long log).
    last_id, last_hash = 0, GENESIS
    update = log.update().where(log.c.id == sa.bindparam('row_id')).values(
        prev_hash=sa.bindparam('prev'), entry_hash=sa.bindparam('hash'))
    while True:
        rows = connection.execute(sa.select(typed).where(typed.c.id > last_id).order_by(typed.c.id)
                                  .limit(5000)).all()
        if not rows:
            break
        sealed = []
        for row in rows:
            entry = AccessEntry(at=row.at, principal_kind=row.principal_kind, username=row.username,
                                agency_code=row.agency_code, action=AccessKind(row.action), reason=row.reason,
                                dossier_code=row.dossier_code, document_id=row.document_id, share_id=row.share_id,
                                client=row.client, detail=row.detail or {})
            entry_hash = chain_hash(last_hash, row.id, entry)
            sealed.append({'row_id': row.id, 'prev': last_hash, 'hash': entry_hash})
            last_id, last_hash = row.id, entry_hash
        connection.execute(update, sealed)
    connection.execute(sa.text("INSERT INTO audit_head (id, last_id, last_hash) VALUES (1, :i, :h)"),
                       {"i": last_id, "h": last_hash})
    if connection.dialect.name == "postgresql":
        op.execute(f"""CREATE FUNCTION hoso_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
                       BEGIN RAISE EXCEPTION '{_REFUSE}' USING ERRCODE = 'insufficient_privilege'; END $$""")
        op.execute("CREATE TRIGGER access_log_append_only BEFORE UPDATE OR DELETE ON access_log "
                   "FOR EACH ROW EXECUTE FUNCTION hoso_audit_append_only()")
        op.execute("CREATE TRIGGER access_log_no_truncate BEFORE TRUNCATE ON access_log "
                   "FOR EACH STATEMENT EXECUTE FUNCTION hoso_audit_append_only()")
    else:
        op.execute(f"CREATE TRIGGER access_log_no_update BEFORE UPDATE ON access_log "
                   f"BEGIN SELECT RAISE(ABORT, '{_REFUSE}'); END")
        op.execute(f"CREATE TRIGGER access_log_no_delete BEFORE DELETE ON access_log "
                   f"BEGIN SELECT RAISE(ABORT, '{_REFUSE}'); END")


def downgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS access_log_no_truncate ON access_log")
        op.execute("DROP TRIGGER IF EXISTS access_log_append_only ON access_log")
        op.execute("DROP FUNCTION IF EXISTS hoso_audit_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS access_log_no_update")
        op.execute("DROP TRIGGER IF EXISTS access_log_no_delete")
    op.drop_table('audit_head')
    with op.batch_alter_table('access_log') as batch:
        batch.drop_column('entry_hash')
        batch.drop_column('prev_hash')
