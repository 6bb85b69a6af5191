"""The orphan sweeper's use case: blobs that no row references, past a grace period.

A blob becomes an orphan when its writer dies between storing it and committing the row (an API process killed
mid-upload, a failed transaction). Only the document areas are swept (originals, derivatives); audit
checkpoints and other prefixes are never touched. A blob is kept while any document holds its content or the
blob registry records it, and always while it is younger than the grace period (a write in flight)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from records.blobs import BlobAges, BlobStore
from records.clock import Clock
from records.ports import UnitOfWork

log = logging.getLogger("hoso.sweep")
SWEPT_PREFIXES = ("originals/", "derived/")
BATCH = 200


@dataclass
class BlobSweep:
    checked: int = 0
    temporaries: int = 0
    removed: list[str] = field(default_factory=list)


def _content_hash(key: str) -> str | None:
    """originals/ab/<sha256> and derived/ab/<sha256>/<name> name the content they belong to."""
    parts = key.split("/")
    return parts[2] if len(parts) >= 3 and len(parts[2]) == 64 else None


def sweep_unreferenced_blobs(*, uow: UnitOfWork, blobs: BlobStore, clock: Clock, grace: timedelta) -> BlobSweep:
    """Removes document blobs no document and no registry row references, written before now - `grace`, and
    temporary leftovers of cut-short writes. A store that cannot tell a blob's age is left alone. Safe to repeat."""
    report = BlobSweep()
    if not isinstance(blobs, BlobAges):
        return report
    cutoff = clock.now() - grace
    report.temporaries = blobs.sweep_temporaries(cutoff)
    for prefix in SWEPT_PREFIXES:
        keys = list(blobs.keys(prefix))
        for start in range(0, len(keys), BATCH):
            batch = keys[start:start + BATCH]
            report.checked += len(batch)
            with uow:
                registered = uow.fixity.known(batch)
                unheld = [key for key in batch if key not in registered
                          and (sha := _content_hash(key)) is not None and uow.documents.references_to(sha) == 0]
            for key in unheld:
                written = blobs.modified_at(key)
                if written is None or written >= cutoff:
                    continue
                blobs.delete(key)
                report.removed.append(key)
                log.info("orphan blob removed: %s (written %s)", key, written.isoformat())
    return report
