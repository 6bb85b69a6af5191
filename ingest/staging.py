"""Staging an upload: stream it to a local file while hashing, and identify it from its first bytes."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import BinaryIO

from ingest.budget import ProcessingBudget
from ingest.pages import EncryptedPdf, MalformedImage, MalformedPdf, inspect_document
from ingest.sniff import SNIFF_BYTES, FileKind, sniff_upload
from records.errors import DomainError
from records.services.documents import StagedUpload

CHUNK_BYTES = 1024 * 1024


class UploadTooLarge(DomainError):
    code = "file_too_large"
    message_vi = "Tệp tải lên vượt quá dung lượng cho phép."
    message_en = "The uploaded file is larger than allowed."


def check_budget(path: Path, kind: FileKind, budget: ProcessingBudget) -> None:
    """The processing budget's header checks (pages, page size, pixels, decoded image and stream bytes), the
    same ones the worker applies before any work: what passes here never fails later for its size. A file
    that cannot be opened (encrypted, damaged) is let through: processing fails it with that reason, and
    the officer can see it and retry. Raises TooManyPages, PageTooLarge, ImageTooLarge, BudgetImageBytes,
    BudgetStreamBytes. Reads headers and page dictionaries; inflates Flate streams up to the limit."""
    try:
        inspect_document(path, kind, limits=budget, decode_images=False)
    except (EncryptedPdf, MalformedPdf, MalformedImage):
        return


def stage_upload(source: BinaryIO, filename: str, *, directory: Path, max_bytes: int,
                 budget: ProcessingBudget | None = None) -> StagedUpload:
    """Copies `source` into a new file under `directory`, 1 MiB at a time (memory does not grow with size).

    Raises the ingest.sniff errors (empty, unsupported or mislabelled file, bad name) before copying
    anything, UploadTooLarge past `max_bytes`, and (given a `budget`) what `check_budget` raises; on any
    error no staged file is left behind.
    The caller removes the staged file once the upload is registered.
    """
    head = source.read(SNIFF_BYTES)
    sniffed = sniff_upload(head, filename)
    directory.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    fd, name = tempfile.mkstemp(prefix="upload-", dir=directory)
    path = Path(name)
    try:
        with os.fdopen(fd, "wb") as target:
            chunk = head
            while chunk:
                size += len(chunk)
                if size > max_bytes:
                    raise UploadTooLarge(detail={"max_bytes": max_bytes})
                digest.update(chunk)
                target.write(chunk)
                chunk = source.read(CHUNK_BYTES)
        if budget is not None:
            check_budget(path, sniffed.kind, budget)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return StagedUpload(path=path, sha256=digest.hexdigest(), size_bytes=size, media_type=sniffed.media_type,
                        filename=sniffed.display_name)


def sweep_stale_files(directory: Path, *, older_than_seconds: float) -> int:
    """Removes the entries directly under `directory` (staged uploads, OCR working directories) last changed more
    than `older_than_seconds` ago: what a killed process left. Returns how many. Safe to repeat."""
    if not directory.is_dir():
        return 0
    cutoff = time.time() - older_than_seconds
    removed = 0
    for entry in directory.iterdir():
        try:
            if entry.lstat().st_mtime >= cutoff:
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
        except FileNotFoundError:
            continue
        removed += 1
    return removed
