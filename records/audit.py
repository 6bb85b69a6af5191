"""The audit chain: one append-only log of every write and every recorded read, in which each entry carries the
SHA-256 of the entry before it. Changing, removing or reordering an entry breaks the chain from there on; the chain
head is also checkpointed outside the database (the blob store, object-locked on S3), so cutting off the tail is
detected too.

Pure functions: the canonical bytes of an entry, its hash, and a verifier that walks entries one at a time (constant
memory, whatever the length of the log).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from records.access_log import AccessEntry

GENESIS = "0" * 64


def canonical(entry: AccessEntry) -> bytes:
    """Every field of an entry in one fixed form: sorted-key compact JSON, the time in UTC ISO form."""
    fields = {"at": entry.at.astimezone(UTC).isoformat(timespec="microseconds"),
              "principal_kind": entry.principal_kind, "username": entry.username, "agency_code": entry.agency_code,
              "action": str(entry.action), "reason": entry.reason, "dossier_code": entry.dossier_code,
              "document_id": entry.document_id, "share_id": entry.share_id, "client": entry.client,
              "detail": entry.detail}
    return json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str).encode()


def link(previous: str, entry_id: int) -> bytes:
    """What precedes an entry's canonical bytes in its hash: the previous entry's hash and the entry's id."""
    return f"{previous}\n{entry_id}\n".encode()


def chain_hash(previous: str, entry_id: int, entry: AccessEntry) -> str:
    """SHA-256 of link(previous, id) + canonical(entry), hex. (The PostgreSQL append computes the same in SQL
    from the canonical bytes computed here; see storage/access_log.py.)"""
    return hashlib.sha256(link(previous, entry_id) + canonical(entry)).hexdigest()


@dataclass(frozen=True)
class ChainedEntry:
    id: int
    entry: AccessEntry
    prev_hash: str | None
    entry_hash: str | None


@dataclass(frozen=True)
class Checkpoint:
    """The chain head at one moment, kept outside the database."""

    entry_id: int
    entry_hash: str
    at: datetime

    def to_json(self) -> bytes:
        return json.dumps({"entry_id": self.entry_id, "entry_hash": self.entry_hash,
                           "at": self.at.astimezone(UTC).isoformat()}).encode()

    @classmethod
    def from_json(cls, data: bytes) -> Checkpoint:
        value = json.loads(data)
        return cls(int(value["entry_id"]), str(value["entry_hash"]), datetime.fromisoformat(value["at"]))


@dataclass
class Verification:
    checked: int = 0
    last_id: int | None = None
    last_hash: str = GENESIS
    first_broken_id: int | None = None
    problem: str | None = None  # content_changed, link_broken, unsealed, tail_missing
    checkpoint: Checkpoint | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def intact(self) -> bool:
        return self.first_broken_id is None and self.problem is None


def verify_chain(entries: Iterable[ChainedEntry], *, checkpoint: Checkpoint | None = None) -> Verification:
    """Recomputes the chain entry by entry (in id order) and stops at the first broken entry; then checks that the
    newest checkpoint's entry is still there with the same hash (else the tail was cut off or rewritten)."""
    result = Verification(checkpoint=checkpoint)
    checkpoint_seen = checkpoint is None
    for item in entries:
        if item.entry_hash is None or item.prev_hash is None:
            result.first_broken_id, result.problem = item.id, "unsealed"
            return result
        if item.prev_hash != result.last_hash:
            result.first_broken_id, result.problem = item.id, "link_broken"
            return result
        if chain_hash(item.prev_hash, item.id, item.entry) != item.entry_hash:
            result.first_broken_id, result.problem = item.id, "content_changed"
            return result
        result.checked += 1
        result.last_id, result.last_hash = item.id, item.entry_hash
        if checkpoint is not None and item.id == checkpoint.entry_id:
            if item.entry_hash != checkpoint.entry_hash:
                result.first_broken_id, result.problem = item.id, "checkpoint_mismatch"
                return result
            checkpoint_seen = True
    if not checkpoint_seen:
        assert checkpoint is not None
        result.problem = "tail_missing"
        result.detail = {"checkpoint_entry_id": checkpoint.entry_id, "last_entry_id": result.last_id}
    return result
