"""The SQL access log, which is also the audit chain: append-only rows, each carrying the SHA-256 of the one before.

Appends take the one-row chain head under a row lock (SQLite: the writer lock every write already holds), give the
entries the next ids, chain their hashes and move the head, all in the caller's transaction: entries chain in commit
order and a rolled-back write leaves neither entries nor a moved head behind. Triggers (migration 0006) refuse any
UPDATE, DELETE or TRUNCATE of the log, for the application's own database role too.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import JSON, LargeBinary, bindparam, func, insert, select, text, update
from sqlalchemy.orm import Session

from records.access_log import AccessEntry, AccessKind, AccessLogFilter
from records.audit import ChainedEntry, canonical, chain_hash
from records.clock import VN_TZ
from storage.models import AccessLogRow, AuditHeadRow, UTCDateTime, table_of

ACCESS_LOG = table_of(AccessLogRow)
HEAD = table_of(AuditHeadRow)
STREAM_BATCH = 5000


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), VN_TZ).astimezone(UTC)


def _entry(r: Any) -> AccessEntry:
    return AccessEntry(at=r.at, principal_kind=r.principal_kind, username=r.username, agency_code=r.agency_code,
                       action=AccessKind(r.action), reason=r.reason, dossier_code=r.dossier_code,
                       document_id=r.document_id,
                       share_id=r.share_id, client=r.client, detail=r.detail or {}, id=r.id)


# The chain hash of records.audit.chain_hash, computed by PostgreSQL: sha256(prev "\n" id "\n" canonical bytes).
# `async` "off" (a read) lets the commit skip waiting for the WAL flush (see record()); "on" for writes.
_APPEND_ONE = text("""
WITH head AS (
    UPDATE audit_head SET last_id = last_id + 1, prev_hash = last_hash,
        last_hash = encode(sha256(convert_to(last_hash || chr(10) || (last_id + 1)::text || chr(10), 'UTF8')
                                  || :content), 'hex')
    WHERE id = 1
    RETURNING last_id, prev_hash, last_hash,
        CASE WHEN :async = 'off' THEN set_config('synchronous_commit', 'off', true) END AS sync)
INSERT INTO access_log (id, at, principal_kind, username, agency_code, action, reason, dossier_code, document_id,
                        share_id, client, detail, prev_hash, entry_hash)
SELECT last_id, :at, :principal_kind, :username, :agency_code, :action, :reason, :dossier_code, :document_id,
       :share_id, :client, :detail, prev_hash, last_hash FROM head
""").bindparams(bindparam("at", type_=UTCDateTime()), bindparam("detail", type_=JSON()),
                bindparam("content", type_=LargeBinary()))


def _sealed(entries: Sequence[AccessEntry], last_id: int, last_hash: str) -> tuple[list[dict[str, Any]], str]:
    """The rows of `entries` chained after entry `last_id` (hash `last_hash`), and the new last hash."""
    rows = []
    for e in entries:
        last_id += 1
        entry_hash = chain_hash(last_hash, last_id, e)
        rows.append({"id": last_id, "at": e.at, "principal_kind": e.principal_kind, "username": e.username,
                     "agency_code": e.agency_code, "action": str(e.action), "reason": e.reason,
                     "dossier_code": e.dossier_code, "document_id": e.document_id, "share_id": e.share_id,
                     "client": e.client, "detail": e.detail, "prev_hash": last_hash, "entry_hash": entry_hash})
        last_hash = entry_hash
    return rows, last_hash


class SqlAccessLogRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def record(self, entries: Sequence[AccessEntry], *, durable: bool = False) -> None:
        """Appends entries to the chain. Not `durable` (reads), PostgreSQL commits the transaction without waiting
        for its WAL to reach the disk (synchronous_commit off for this transaction only — call it in a transaction
        of its own, as records.services.access does): the entry is written and ordered like any other, but a crash
        of the database server itself could lose the last fraction of a second of reads. That wait would otherwise
        be most of every read's cost. Writes' entries (`durable`) commit with the write as usual."""
        if not entries:
            return
        if self.session.get_bind().dialect.name == "postgresql":
            self._append_postgres(entries, durable=durable)
            return
        head = self.session.execute(select(HEAD.c.last_id, HEAD.c.last_hash).where(HEAD.c.id == 1)
                                    .with_for_update()).one()
        rows, last_hash = _sealed(entries, int(head.last_id), str(head.last_hash))
        self.session.execute(insert(ACCESS_LOG), rows)
        self.session.execute(update(HEAD).where(HEAD.c.id == 1).values(last_id=rows[-1]["id"], last_hash=last_hash,
                                                                        prev_hash=rows[-1]["prev_hash"]))

    def _append_postgres(self, entries: Sequence[AccessEntry], *, durable: bool) -> None:
        """One entry (every read): one statement that moves the head and inserts the entry, its hash computed by
        the database from the canonical bytes computed here — the head row stays locked only from that statement
        to the commit. Several entries: the head's id is moved first (taking the lock), the entries sealed here,
        then inserted with the head's new hash."""
        if len(entries) == 1:
            e = entries[0]
            self.session.execute(_APPEND_ONE, {
                "content": canonical(e), "async": "on" if durable else "off", "at": e.at,
                "principal_kind": e.principal_kind, "username": e.username, "agency_code": e.agency_code,
                "action": str(e.action), "reason": e.reason, "dossier_code": e.dossier_code,
                "document_id": e.document_id, "share_id": e.share_id, "client": e.client, "detail": e.detail})
            return
        returning: list[Any] = [HEAD.c.last_id, HEAD.c.last_hash]
        if not durable:
            returning.append(func.set_config("synchronous_commit", "off", True))
        head = self.session.execute(update(HEAD).where(HEAD.c.id == 1)
                                    .values(last_id=HEAD.c.last_id + len(entries)).returning(*returning)).one()
        rows, last_hash = _sealed(entries, int(head.last_id) - len(entries), str(head.last_hash))
        moved = update(HEAD).where(HEAD.c.id == 1).values(last_hash=last_hash, prev_hash=rows[-1]["prev_hash"]
                                                          ).cte("moved_head")
        self.session.execute(insert(ACCESS_LOG).values(rows).add_cte(moved))

    def find(self, wanted: AccessLogFilter) -> tuple[list[AccessEntry], int]:
        conditions: list[Any] = []
        for column, value in ((ACCESS_LOG.c.dossier_code, wanted.dossier_code),
                              (ACCESS_LOG.c.document_id, wanted.document_id),
                              (ACCESS_LOG.c.username, wanted.username),
                              (ACCESS_LOG.c.agency_code, wanted.agency_code)):
            if value is not None:
                conditions.append(column == value)
        if wanted.actions:
            conditions.append(ACCESS_LOG.c.action.in_(sorted(a.value for a in wanted.actions)))
        if wanted.since is not None:
            conditions.append(ACCESS_LOG.c.at >= _day_start(wanted.since))
        if wanted.until is not None:
            conditions.append(ACCESS_LOG.c.at < _day_start(wanted.until + timedelta(days=1)))
        count = self.session.scalar(select(func.count()).select_from(ACCESS_LOG).where(*conditions)) or 0
        rows = self.session.execute(select(ACCESS_LOG).where(*conditions)
                                    .order_by(ACCESS_LOG.c.at.desc(), ACCESS_LOG.c.id.desc())
                                    .limit(wanted.limit).offset(wanted.offset))
        return [_entry(r) for r in rows], int(count)

    def chain(self, *, after_id: int = 0, dossier_code: str | None = None) -> Iterator[ChainedEntry]:
        """The entries in chain order, streamed in batches (a server-side cursor on PostgreSQL): memory stays flat
        whatever the length of the log. With `dossier_code`, only that dossier's entries (an excerpt)."""
        query = select(ACCESS_LOG).where(ACCESS_LOG.c.id > after_id).order_by(ACCESS_LOG.c.id)
        if dossier_code is not None:
            query = query.where(ACCESS_LOG.c.dossier_code == dossier_code)
        result = self.session.execute(query.execution_options(stream_results=True, yield_per=STREAM_BATCH))
        for r in result:
            yield ChainedEntry(id=int(r.id), entry=_entry(r), prev_hash=r.prev_hash, entry_hash=r.entry_hash)

    def head(self) -> tuple[int, str]:
        """The id and hash of the last entry (0 and the genesis hash for an empty log)."""
        row = self.session.execute(select(HEAD.c.last_id, HEAD.c.last_hash).where(HEAD.c.id == 1)).one()
        return int(row.last_id), str(row.last_hash)

    def latest(self, action: AccessKind) -> AccessEntry | None:
        row = self.session.execute(select(ACCESS_LOG).where(ACCESS_LOG.c.action == action.value)
                                   .order_by(ACCESS_LOG.c.id.desc()).limit(1)).first()
        return None if row is None else _entry(row)
