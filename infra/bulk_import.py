"""`hoso import DIR --manifest manifest.csv`: years of scanned dossiers brought in, row by row.

Each row is read and checked in full (ingest.manifest), then imported in its own transaction
(records.services.past_import), so that stopping at any point — Ctrl-C, a crash, a store that stops answering —
leaves whole rows behind and running the same command again carries on: rows imported before are skipped (the
import journal knows them by dossier code and file hashes), rows refused before are tried again. Refused rows go
to a CSV report beside the manifest. OCR and indexing run in the workers, as for uploads; `--wait` follows them.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from infra.backends import Backends
from infra.settings import Settings
from ingest.manifest import ManifestInvalid, ManifestRow, count_rows, parse_row, read_manifest
from records.documents import DocumentStatus
from records.errors import Conflict, DomainError, ValidationFailed
from records.past_dossiers import PastDossier
from records.services.past_import import (
    ImportSource,
    Outcome,
    PastImport,
    check_past_dossier,
    import_past_dossier,
    imported_document_statuses,
)

REPORT_COLUMNS = ("row", "dossier_code", "reason_code", "message_vi", "message_en", "detail")
FINISHED = frozenset({DocumentStatus.INDEXED, DocumentStatus.FAILED})


@dataclass(frozen=True)
class Rejection:
    row: int
    dossier_code: str
    code: str
    message_vi: str
    message_en: str
    detail: dict[str, object]


@dataclass
class ImportSummary:
    imported: int = 0
    skipped: int = 0
    rejected: int = 0
    valid: int = 0  # a dry run: rows that would be imported
    pages_queued: int = 0
    documents_queued: int = 0
    rejections: list[Rejection] = field(default_factory=list)
    document_ids: list[str] = field(default_factory=list)  # of the rows imported now or before
    stopped_at: int | None = None  # the row at which an outside failure stopped the run
    stop_reason: str = ""


def default_report_path(manifest: Path) -> Path:
    return manifest.with_name(f"{manifest.stem}.rejected.csv")


def write_report(path: Path, rejections: Sequence[Rejection]) -> None:
    """The refused rows, with a BOM so that spreadsheet programs read the Vietnamese right."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(REPORT_COLUMNS)
        for r in rejections:
            writer.writerow([r.row, r.dossier_code, r.code, r.message_vi, r.message_en,
                             json.dumps(r.detail, ensure_ascii=False, default=str) if r.detail else ""])


@contextmanager
def _progress(console: Console, total: int, description: str) -> Iterator[Progress]:
    """A progress bar on a terminal; nothing at all when the output goes to a file or a pipe."""
    progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TextColumn("{task.fields[status]}"), TimeElapsedColumn(), TimeRemainingColumn(),
                        console=console, disable=not console.is_terminal, transient=False)
    with progress:
        progress.add_task(description, total=total or None, status="")
        yield progress


def run_import(backends: Backends, *, root: Path, manifest: Path, dry_run: bool = False,
               console: Console | None = None) -> ImportSummary:
    """Imports (or with `dry_run` only checks) every row of `manifest`, files read from `root`. Raises
    ManifestInvalid when the manifest as a whole cannot be read; an outside failure (store, database) ends the
    run early with `stopped_at` set, every row before it whole."""
    console = console or Console(stderr=True)
    summary = ImportSummary()
    rows = read_manifest(manifest)
    first = next(rows, None)  # the header is checked before anything happens
    total = count_rows(manifest)
    settings = backends.settings
    seen: dict[str, tuple[str, int]] = {}  # a dry run: the rows checked so far, by code (fingerprint, row)
    with _progress(console, total, "Kiểm tra / checking" if dry_run else "Nhập hồ sơ / importing") as progress:
        task = progress.task_ids[0]
        for row in _chain(first, rows):
            try:
                past = parse_row(row, root=root, now=backends.clock.now(), max_bytes=settings.max_upload_bytes,
                                  limits=settings.processing_budget)
                if dry_run:
                    result = _dry_check(backends, past, seen, row.number)
                else:
                    result = import_past_dossier(uow=backends.uow(), blobs=backends.blobs, clock=backends.clock,
                                                 calendar=backends.calendar, past=past,
                                                 source=ImportSource(manifest.name, row.number))
            except (ValidationFailed, Conflict) as error:
                summary.rejected += 1
                summary.rejections.append(Rejection(row.number, row.dossier_code, error.code, error.message_vi,
                                                    error.message_en, error.detail))
            except (KeyboardInterrupt, Exception) as error:  # not the row's fault: stop, the next run resumes
                summary.stopped_at = row.number
                summary.stop_reason = (f"{error.code}: {error.message_en}" if isinstance(error, DomainError)
                                       else f"{type(error).__name__}: {error}")[:500]
                break
            else:
                if result.outcome is Outcome.IMPORTED:
                    summary.imported += 1
                    summary.pages_queued += result.pages
                    summary.documents_queued += len(result.document_ids)
                elif result.outcome is Outcome.SKIPPED:
                    summary.skipped += 1
                else:
                    summary.valid += 1
                summary.document_ids += result.document_ids
            progress.update(task, advance=1, status=_status(summary, dry_run))
    return summary


def _dry_check(backends: Backends, past: PastDossier, seen: dict[str, tuple[str, int]], row: int) -> PastImport:
    """What importing would do, including a code that an earlier row of the same manifest would have taken."""
    earlier = seen.get(past.code)
    if earlier is not None:
        if earlier[0] == past.fingerprint():
            return PastImport(Outcome.SKIPPED, past.code)
        raise Conflict("Mã hồ sơ đã xuất hiện ở dòng trước với nội dung khác.",
                       "This dossier code appears on an earlier row with different content.", code="duplicate_code",
                       detail={"dossier_code": past.code, "first_row": earlier[1]})
    result = check_past_dossier(uow=backends.uow(), past=past)
    seen[past.code] = (past.fingerprint(), row)
    return result


def _chain(first: ManifestRow | None, rest: Iterator[ManifestRow]) -> Iterator[ManifestRow]:
    if first is not None:
        yield first
    yield from rest


def _status(summary: ImportSummary, dry_run: bool) -> str:
    if dry_run:
        return f"hợp lệ {summary.valid} · đã có {summary.skipped} · lỗi {summary.rejected}"
    return (f"nhập {summary.imported} · bỏ qua {summary.skipped} · lỗi {summary.rejected} · "
            f"{summary.pages_queued} trang")


def wait_for_processing(backends: Backends, document_ids: Sequence[str], *, console: Console,
                        poll_seconds: float = 1.0, timeout_seconds: float = 0.0) -> dict[DocumentStatus, int]:
    """Follows the documents' OCR until each is indexed or failed (or `timeout_seconds`, 0: no limit)."""
    ids = list(document_ids)
    deadline = time.monotonic() + timeout_seconds if timeout_seconds > 0 else None
    with _progress(console, len(ids), "OCR / nhận dạng") as progress:
        task = progress.task_ids[0]
        while True:
            counts = imported_document_statuses(uow=backends.uow(), document_ids=ids)
            done = sum(counts.get(s, 0) for s in FINISHED)
            progress.update(task, completed=done,
                            status=f"xong {counts.get(DocumentStatus.INDEXED, 0)} · lỗi "
                                   f"{counts.get(DocumentStatus.FAILED, 0)}")
            if done >= len(ids) or (deadline is not None and time.monotonic() > deadline):
                return counts
            time.sleep(poll_seconds)


def print_summary(summary: ImportSummary, *, dry_run: bool, report: Path | None) -> None:
    if dry_run:
        print(f"Kiểm tra xong / checked: {summary.valid} hợp lệ / valid, {summary.skipped} đã nhập trước / "
              f"imported before, {summary.rejected} bị từ chối / rejected")
    else:
        print(f"Nhập xong / done: {summary.imported} đã nhập / imported, {summary.skipped} bỏ qua (đã nhập trước) / "
              f"skipped, {summary.rejected} bị từ chối / rejected; {summary.pages_queued} trang chờ nhận dạng / "
              f"pages queued for OCR ({summary.documents_queued} tài liệu / documents)")
    if report is not None and summary.rejected:
        print(f"Các dòng bị từ chối / rejected rows: {report}")
    if summary.stopped_at is not None:
        print(f"Dừng ở dòng {summary.stopped_at} do lỗi hệ thống; chạy lại đúng lệnh này để tiếp tục / stopped at row "
              f"{summary.stopped_at} by a system error; run the same command again to resume: {summary.stop_reason}",
              file=sys.stderr)


def cmd_import_archive(settings: Settings, args: argparse.Namespace) -> int:
    from infra.wiring import opened_backends
    from storage.migrate import upgrade

    root, manifest = Path(args.directory), Path(args.manifest)
    if not root.is_dir():
        print(f"Không có thư mục / no such folder: {root}", file=sys.stderr)
        return 2
    report = Path(args.report) if args.report else default_report_path(manifest)
    upgrade(settings.effective_database_url)
    console = Console(stderr=True)
    with opened_backends(settings) as backends:
        try:
            summary = run_import(backends, root=root, manifest=manifest, dry_run=args.dry_run, console=console)
        except ManifestInvalid as error:
            print(f"{error.code}: {error.message_vi} / {error.message_en}", file=sys.stderr)
            return 2
        write_report(report, summary.rejections)
        print_summary(summary, dry_run=args.dry_run, report=report)
        if args.wait and not args.dry_run and summary.document_ids:
            counts = wait_for_processing(backends, summary.document_ids, console=console,
                                         timeout_seconds=args.wait_timeout)
            print(f"Nhận dạng / OCR: {counts.get(DocumentStatus.INDEXED, 0)} tài liệu đã tìm kiếm được / indexed, "
                  f"{counts.get(DocumentStatus.FAILED, 0)} lỗi / failed, "
                  f"{sum(counts.values()) - sum(counts.get(s, 0) for s in FINISHED)} chưa xong / unfinished")
    if summary.stopped_at is not None:
        return 3
    return 1 if summary.rejected else 0


def register_import_command(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    imp = sub.add_parser("import", help="bulk-import past dossiers (scans) listed in a CSV manifest",
                         description="Nhập hồ sơ cũ / bulk import of past archives. Exit codes: 0 all rows in, "
                                     "1 some rows rejected (see the report), 2 unreadable manifest, "
                                     "3 stopped by a system error (run again to resume).")
    imp.add_argument("directory", help="the archive folder; the manifest's file paths are relative to it")
    imp.add_argument("--manifest", required=True, help="CSV, UTF-8 (BOM optional), one dossier per row")
    imp.add_argument("--report", help="where to write the rejected rows (default: <manifest>.rejected.csv)")
    imp.add_argument("--dry-run", action="store_true", help="check every row and file, write nothing")
    imp.add_argument("--wait", action="store_true", help="then wait until the imported documents are OCR'd")
    imp.add_argument("--wait-timeout", type=float, default=0.0, help="seconds to wait at most (0: no limit)")
    imp.set_defaults(func=cmd_import_archive)
