"""The operator's commands for a deployment: `hoso backup [DIR]`, `hoso backup --verify DIR`, `hoso backups`,
`hoso restore DIR`, and `hoso beat` (the periodic schedule as a process of its own, one per deployment)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from infra.settings import Settings
from infra.wiring import opened_backends

_STATUS = {"verified": "đã kiểm tra, nguyên vẹn / verified", "damaged": "HỎNG / DAMAGED",
           "unverified": "chưa kiểm tra / not verified", "missing": "KHÔNG CÒN / MISSING"}


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


def cmd_backup(settings: Settings, args: argparse.Namespace) -> int:
    from infra.backup import create_backup, verify_backup

    with opened_backends(settings) as backends:
        if args.verify:
            if args.dir is None:
                print("Cần thư mục bản sao lưu / --verify needs the backup's DIR", file=sys.stderr)
                return 2
            check = verify_backup(backends, Path(args.dir))
            if check.ok:
                print(f"Bản sao lưu nguyên vẹn / backup intact: {check.path} ({check.files} tệp / files)")
                return 0
            print(f"Bản sao lưu HỎNG / backup DAMAGED: {check.path}", file=sys.stderr)
            for problem in check.problems[:50]:
                print(f"  {problem}", file=sys.stderr)
            return 1
        target = Path(args.dir) if args.dir else (
            settings.effective_backup_dir / f"hoso-{backends.clock.now().strftime('%Y%m%dT%H%M%SZ')}")
        summary = create_backup(backends, target, portable=args.portable)
        counts = summary.counts
        how = "bản sao / copied" if summary.blob_mode == "copy" else "danh sách phiên bản S3 / S3 version manifest"
        print(f"Đã sao lưu / backup written: {summary.path}\n"
              f"  cơ sở dữ liệu / database: {summary.database_kind}, {counts.get('dossiers', 0)} hồ sơ / dossiers, "
              f"{counts.get('documents', 0)} tài liệu / documents\n"
              f"  tệp / blobs: {summary.blobs} ({_megabytes(summary.blob_bytes)}, "
              f"{how})"
              f"\n  đầu chuỗi nhật ký / audit chain head: #{summary.audit_head_id} {summary.audit_head_hash[:16]}…\n"
              f"  dung lượng / size: {_megabytes(summary.size_bytes)}")
        if args.no_verify:
            return 0
        check = verify_backup(backends, summary.path)
        print("  kiểm tra lại / re-verified: " + ("nguyên vẹn / intact" if check.ok else "HỎNG / DAMAGED"))
        return 0 if check.ok else 1


def cmd_backups(settings: Settings, args: argparse.Namespace) -> int:
    from infra.backup import list_backups

    with opened_backends(settings) as backends:
        listings = list_backups(backends)
    troubled = any(item.status in {"damaged", "missing"} for item in listings)
    if args.json:
        print(json.dumps([_json(item) for item in listings], ensure_ascii=False))
        return 1 if troubled else 0
    if not listings:
        print(f"Chưa có bản sao lưu / no backups yet (in {settings.effective_backup_dir})")
    for item in listings:
        created = item.created_at.isoformat(timespec="seconds") if item.created_at else "?"
        print(f"{created}  {_megabytes(item.size_bytes):>10}  {_STATUS[item.status]:<36}  {item.path}")
    return 1 if troubled else 0


def _json(item: Any) -> dict[str, Any]:
    return {"path": item.path, "created_at": item.created_at.isoformat() if item.created_at else None,
            "size_bytes": item.size_bytes, "database_kind": item.database_kind, "dossiers": item.dossiers,
            "documents": item.documents, "status": item.status,
            "verified_at": item.verified_at.isoformat() if item.verified_at else None, "problems": item.problems}


def cmd_restore(settings: Settings, args: argparse.Namespace) -> int:
    from infra.restore import restore_backup

    report = restore_backup(settings, Path(args.dir))
    vi, en = report.audit_message
    print(f"Đã khôi phục từ / restored from: {report.source}\n"
          f"  cơ sở dữ liệu / database: {report.database_kind}; "
          + ", ".join(f"{table} {count}/{report.expected_counts.get(table)}" for table, count in report.counts.items())
          + f"\n  tệp / blobs: {report.blobs_restored}; bản gốc của tài liệu / document originals: "
          f"{report.originals_checked - len(report.originals_missing)}/{report.originals_checked}\n"
          f"  chỉ mục tìm kiếm / search index: {report.reindexed} hồ sơ / dossiers\n"
          f"  nhật ký / audit chain: {vi} / {en}; đầu chuỗi khớp bản sao lưu / head matches the backup: "
          f"{'có / yes' if report.audit_head_matches else 'KHÔNG / NO'}")
    print("  thời gian / seconds: " + ", ".join(f"{step} {seconds:.1f}" for step, seconds in report.seconds.items()))
    if report.signing_key_matches is False:
        print("  CHÚ Ý: khóa bí mật khác với bản đã sao lưu — mã tra cứu trên giấy biên nhận cũ sẽ không dùng được; "
              "đặt lại HOSO_SECRET_KEY (hoặc tệp secret.key) như cũ / WARNING: the secret key differs from the "
              "backed-up one — old receipts' lookup secrets will not verify; set the same "
              "HOSO_SECRET_KEY (or secret.key file)")
    for name, (saved, current) in report.settings_differences.items():
        print(f"  cấu hình khác / setting differs: {name}: sao lưu / backup {saved!r}, hiện tại / now {current!r}")
    for sha in report.originals_missing[:20]:
        print(f"  THIẾU bản gốc / MISSING original: {sha}", file=sys.stderr)
    print("Kết quả / result: " + ("đầy đủ, đã kiểm chứng / complete and verified" if report.ok
                                  else "CÓ VẤN ĐỀ (xem trên) / PROBLEMS (see above)"))
    return 0 if report.ok else 1


def cmd_beat(settings: Settings, _args: argparse.Namespace) -> int:
    from workers.app import create_celery

    create_celery(settings).start(["beat", "--loglevel", settings.log_level])
    return 0


def register_ops_commands(sub: Any) -> None:
    sub.add_parser("beat", help="run the periodic schedule alone (one per deployment; workers run without --beat)"
                   ).set_defaults(func=cmd_beat)
    backup = sub.add_parser("backup", help="write a verifiable backup (database, blobs, settings, audit chain head)")
    backup.add_argument("dir", nargs="?", help="a new or empty directory (default: HOSO_BACKUP_DIR/hoso-<time>)")
    backup.add_argument("--verify", action="store_true", help="re-check an existing backup's hashes instead")
    backup.add_argument("--no-verify", action="store_true", help="skip re-reading the new backup")
    backup.add_argument("--portable", action="store_true",
                        help="a logical dump (JSON lines) that restores into SQLite or PostgreSQL alike, instead of "
                             "pg_dump / the SQLite file (used anyway when pg_dump is missing)")
    backup.set_defaults(func=cmd_backup)
    backups = sub.add_parser("backups", help="list backups with their size and verification status")
    backups.add_argument("--json", action="store_true")
    backups.set_defaults(func=cmd_backups)
    restore = sub.add_parser("restore", help="bring an EMPTY instance back from a backup, then verify it")
    restore.add_argument("dir")
    restore.set_defaults(func=cmd_restore)
