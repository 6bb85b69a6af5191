"""The archivist's commands: `hoso audit …`, `hoso fixity …`, `hoso export-bag`, `hoso import-bag`, `hoso archive …`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from infra.settings import Settings
from infra.wiring import opened_backends
from storage.migrate import upgrade


def cmd_audit_verify(settings: Settings, args: argparse.Namespace) -> int:
    from records.services.audit_chain import describe, verify_audit_chain

    upgrade(settings.effective_database_url)
    with opened_backends(settings) as backends:
        result = verify_audit_chain(uow=backends.uow(), blobs=backends.blobs, clock=backends.clock)
    vi, en = describe(result)
    if args.json:
        print(json.dumps({"intact": result.intact, "checked": result.checked, "last_id": result.last_id,
                          "first_broken_id": result.first_broken_id, "problem": result.problem,
                          "detail": result.detail}))
    else:
        print(f"{vi} / {en}")
    return 0 if result.intact else 1


def cmd_audit_checkpoint(settings: Settings, _args: argparse.Namespace) -> int:
    from records.services.audit_chain import checkpoint_audit_chain

    with opened_backends(settings) as backends:
        checkpoint = checkpoint_audit_chain(uow=backends.uow(), blobs=backends.blobs, clock=backends.clock)
    if checkpoint is None:
        print("Nhật ký trống / the log is empty")
    else:
        print(f"Điểm kiểm tra / checkpoint: #{checkpoint.entry_id} {checkpoint.entry_hash}")
    return 0


def register_archive_commands(sub: Any) -> None:
    audit = sub.add_parser("audit", help="the tamper-evident audit chain").add_subparsers(dest="audit_command",
                                                                                       required=True)
    verify = audit.add_parser("verify", help="recompute the chain; exit 1 and name the first broken entry if any")
    verify.add_argument("--json", action="store_true")
    verify.set_defaults(func=cmd_audit_verify)
    audit.add_parser("checkpoint", help="write the chain head to the blob store").set_defaults(
        func=cmd_audit_checkpoint)
    register_more(sub)


def cmd_fixity_run(settings: Settings, args: argparse.Namespace) -> int:
    from records.services.fixity import Pace, run_fixity

    upgrade(settings.effective_database_url)
    rate = settings.fixity_rate_mb_s if args.rate is None else args.rate
    with opened_backends(settings) as backends:
        run = run_fixity(uow=backends.uow(), blobs=backends.blobs, clock=backends.clock, pace=Pace(rate),
                         budget_seconds=args.budget, full_pass=args.all)
    if run.busy:
        print("Một lượt kiểm tra khác đang chạy; lần này không làm gì. / Another fixity run is going on; "
              "this one did nothing.")
        return 0
    print(f"Đã kiểm tra / checked: {run.checked} tệp, {run.bytes_read / 1024 / 1024:.1f} MB "
          f"trong / in {run.seconds:.1f} s; "
          f"{'hết một lượt / pass complete' if run.finished_pass else 'sẽ tiếp tục / will continue'}")
    if run.registered:
        print(f"  ghi nhận lần đầu / registered on first sight: {run.registered} tệp")
    for check in run.repaired:
        print(f"  đã khôi phục / repaired: {check.key}")
    for check in run.unrepaired:
        print(f"  HỎNG / DAMAGED ({check.outcome.value}): {check.key}", file=sys.stderr)
    return 1 if run.unrepaired else 0


def cmd_fixity_report(settings: Settings, args: argparse.Namespace) -> int:
    from records.services.fixity import fixity_report

    with opened_backends(settings) as backends:
        report = fixity_report(uow=backends.uow())
    last = report.state.last_full_pass_at.isoformat() if report.state.last_full_pass_at else "chưa có / never"
    started = report.state.pass_started_at.isoformat() if report.state.pass_started_at else None
    data = {"blobs": report.blobs, "checked_this_pass": report.checked_this_pass, "pass_started_at": started,
            "last_full_pass_at": last, "damaged_now": report.damaged_now, "repairs": report.repairs,
            "failures": report.failures,
            "recent_problems": [{"key": p.key, "at": p.at.isoformat(), "outcome": p.outcome.value}
                                for p in report.recent_problems]}
    if args.json:
        print(json.dumps(data, ensure_ascii=False))
    else:
        print(f"Tệp được theo dõi / blobs: {report.blobs}; lượt này đã kiểm / this pass: {report.checked_this_pass}; "
              f"lượt đầy đủ gần nhất / last full pass: {last}; đang hỏng / damaged now: {report.damaged_now}; "
              f"đã tự khôi phục / repairs: {report.repairs}; lỗi chưa khôi phục / failures: {report.failures}")
        for p in report.recent_problems:
            print(f"  {p.at.isoformat()} {p.outcome.value:10} {p.key}")
    return 1 if report.damaged_now else 0


def cmd_export_bag(settings: Settings, args: argparse.Namespace) -> int:
    from infra.bags import export_bag
    from records.services.bags import OPERATOR

    upgrade(settings.effective_database_url)
    with opened_backends(settings) as backends:
        path = export_bag(backends, args.code, Path(args.dir), actor=OPERATOR)
    print(f"Đã xuất gói BagIt / bag written: {path}")
    return 0


def cmd_import_bag(settings: Settings, args: argparse.Namespace) -> int:
    from infra.bags import import_bag
    from records.services.bags import OPERATOR

    upgrade(settings.effective_database_url)
    with opened_backends(settings) as backends:
        imported = import_bag(backends, Path(args.dir), actor=OPERATOR)
    if imported.file_code:
        print(f"Hồ sơ lưu trữ / archival file: {imported.file_code}")
    print(f"Đã nhập / imported: {', '.join(imported.dossier_codes)}")
    return 0


def cmd_archive_gather(settings: Settings, args: argparse.Namespace) -> int:
    from records.services.archival_files import gather_files
    from records.services.catalogue import load_principal

    with opened_backends(settings) as backends:
        actor = load_principal(uow=backends.uow(), username=args.as_user)
        files = gather_files(uow=backends.uow(), clock=backends.clock, actor=actor, agency_code=args.agency,
                             year=args.year, procedure_code=args.procedure, rule=settings.deposit_rule)
    for summary in files:
        print(f"{summary.file.file_code}: {len(summary.dossier_codes)} hồ sơ, {summary.doc_total} văn bản, "
              f"{summary.page_total} trang")
    return 0


def cmd_archive_clocks(settings: Settings, _args: argparse.Namespace) -> int:
    from records.services.retention import start_missing_clocks

    with opened_backends(settings) as backends:
        started = start_missing_clocks(uow=backends.uow(), clock=backends.clock)
    print(f"Bắt đầu tính thời hạn bảo quản / retention clocks started: {started}")
    return 0


def register_more(sub: Any) -> None:
    fixity = sub.add_parser("fixity", help="re-read stored blobs and check their SHA-256").add_subparsers(
        dest="fixity_command", required=True)
    run = fixity.add_parser("run", help="check blobs (resumes the current pass); exit 1 on unrepaired damage")
    run.add_argument("--rate", type=float, help="MB/s (default HOSO_FIXITY_RATE_MB_S; 0: unlimited)")
    run.add_argument("--budget", type=float, help="stop after this many seconds (the next run continues)")
    run.add_argument("--all", action="store_true", help="start a fresh full pass and finish it")
    run.set_defaults(func=cmd_fixity_run)
    report = fixity.add_parser("report", help="progress, last full pass, failures and repairs")
    report.add_argument("--json", action="store_true")
    report.set_defaults(func=cmd_fixity_report)
    export = sub.add_parser("export-bag", help="write a dossier or an archival file as a BagIt bag")
    export.add_argument("code", help="a dossier code or an archival file code")
    export.add_argument("dir", help="the bag's folder (must not exist)")
    export.set_defaults(func=cmd_export_bag)
    imp = sub.add_parser("import-bag", help="re-ingest a BagIt bag exported by hoso (refused whole if it is damaged)")
    imp.add_argument("dir")
    imp.set_defaults(func=cmd_import_bag)
    archive = sub.add_parser("archive", help="archival files and retention").add_subparsers(
        dest="archive_command", required=True)
    gather = archive.add_parser("gather", help="gather an agency's closed dossiers of a year into archival files")
    gather.add_argument("--agency", required=True)
    gather.add_argument("--year", type=int, required=True)
    gather.add_argument("--procedure", help="only this procedure's dossiers (default: every procedure)")
    gather.add_argument("--as-user", required=True, help="the archivist doing it (recorded in the audit chain)")
    gather.set_defaults(func=cmd_archive_gather)
    archive.add_parser("start-clocks", help="start the retention clock of dossiers closed before it was tracked"
                       ).set_defaults(func=cmd_archive_clocks)
