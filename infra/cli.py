"""The `hoso` command: serve, migrate, create-admin, load-demo, import/export the catalogue."""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from infra.bulk_import import register_import_command
from infra.cli_archive import register_archive_commands
from infra.settings import Settings
from infra.wiring import opened_backends
from records.access import Role
from records.errors import DomainError
from storage.migrate import upgrade


def _migrate(settings: Settings) -> None:
    upgrade(settings.effective_database_url)


def cmd_migrate(settings: Settings, _args: argparse.Namespace) -> int:
    _migrate(settings)
    print("Đã cập nhật lược đồ cơ sở dữ liệu / database schema is up to date")
    return 0


def cmd_create_admin(settings: Settings, args: argparse.Namespace) -> int:
    from infra.demo import agency_from_dict
    from records.services.catalogue import create_user, import_agencies

    password = args.password or os.environ.get("HOSO_ADMIN_PASSWORD") or getpass.getpass("Mật khẩu / password: ")
    _migrate(settings)
    with opened_backends(settings) as backends:
        with backends.uow() as uow:
            agency_known = uow.agencies.get(args.agency_code) is not None
        if not agency_known:
            if not args.agency_name:
                print(f"Cơ quan {args.agency_code} chưa có; thêm --agency-name để tạo / unknown agency: "
                      "pass --agency-name to create it", file=sys.stderr)
                return 2
            import_agencies(uow=backends.uow(), agencies=[agency_from_dict(
                {"code": args.agency_code, "name": args.agency_name, "level": "province"})], clock=backends.clock)
        user = create_user(uow=backends.uow(), hasher=backends.hasher, username=args.username,
                           full_name=args.full_name, agency_code=args.agency_code, roles=[Role.ADMIN],
                           password=password, clock=backends.clock)
    print(f"Đã tạo quản trị viên / admin created: {user.username} @ {user.agency_code}")
    return 0


def cmd_load_demo(settings: Settings, args: argparse.Namespace) -> int:
    from infra.demo import DEMO_PASSWORD, load_demo

    _migrate(settings)
    with opened_backends(settings) as backends:
        summary = load_demo(backends, with_dossiers=not args.no_dossiers)
    print(f"Dữ liệu mẫu / demo data: {summary.agencies} cơ quan, {summary.procedures} thủ tục, "
          f"{summary.users_created} tài khoản mới, {summary.dossiers_created} hồ sơ mẫu. "
          f"Mật khẩu chung / shared password: {DEMO_PASSWORD}")
    return 0


def cmd_import(settings: Settings, args: argparse.Namespace) -> int:
    from infra.demo import agency_from_dict
    from records.procedures import procedure_from_dict
    from records.services.catalogue import import_agencies, import_procedures

    items = json.loads(Path(args.file).read_text(encoding="utf-8"))
    _migrate(settings)
    with opened_backends(settings) as backends:
        if args.command == "import-agencies":
            count = import_agencies(uow=backends.uow(), agencies=[agency_from_dict(a) for a in items],
                                    clock=backends.clock)
        else:
            count = import_procedures(uow=backends.uow(), procedures=[procedure_from_dict(p) for p in items],
                                      clock=backends.clock)
    print(f"Đã nhập / imported: {count}")
    return 0


def cmd_export_procedures(settings: Settings, _args: argparse.Namespace) -> int:
    from records.procedures import procedure_to_dict
    from records.services.catalogue import list_procedures

    with opened_backends(settings) as backends:
        items = [procedure_to_dict(p) for p in list_procedures(uow=backends.uow())]
    json.dump(items, sys.stdout, ensure_ascii=False, indent=2)
    print()
    return 0


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from api.app import create_app

    if not args.no_migrate:
        _migrate(settings)
    host, port = args.host or settings.host, args.port or settings.port
    worker = None
    if not args.no_worker and not settings.celery_broker_url:
        # Embedded install: the worker runs beside the API as a child process, queueing through files.
        worker = subprocess.Popen([sys.executable, "-m", "infra.cli", "worker", "--beat"])
        print(f"Tiến trình xử lý nền / background worker: pid {worker.pid}", flush=True)
    print(f"hoso đang chạy tại / serving at http://{host}:{port}/  (API: http://{host}:{port}/docs)", flush=True)
    try:
        uvicorn.run(create_app(settings), host=host, port=port, log_level=settings.log_level.lower(), workers=1)
    finally:
        if worker is not None:
            worker.terminate()
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
    return 0


def cmd_worker(settings: Settings, args: argparse.Namespace) -> int:
    from workers.app import create_celery

    app = create_celery(settings)
    argv = ["worker", "--loglevel", settings.log_level, "--concurrency", str(args.concurrency),
            "--queues", args.queues, "--without-gossip", "--without-mingle",
            "--hostname", f"hoso-{os.getpid()}@%h"]
    if args.beat:
        argv.append("--beat")
    if not settings.celery_broker_url:
        argv += ["--pool", "solo"]  # embedded: one process, one task at a time
    app.worker_main(argv)
    return 0


def cmd_scan_deadlines(settings: Settings, _args: argparse.Namespace) -> int:
    from records.services.alerts import scan_deadlines

    with opened_backends(settings) as backends:
        raised = scan_deadlines(uow=backends.uow(), clock=backends.clock, calendar=backends.calendar)
    print(f"Cảnh báo mới / new alerts: {raised}")
    return 0


def cmd_reindex(settings: Settings, _args: argparse.Namespace) -> int:
    from records.services.search import reindex_all

    with opened_backends(settings) as backends:
        count = reindex_all(uow=backends.uow(), index=backends.search)
    print(f"Đã lập chỉ mục lại / reindexed: {count} hồ sơ")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hoso", description="hoso — hồ sơ một cửa / one-stop dossier records")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="apply database migrations").set_defaults(func=cmd_migrate)
    serve = sub.add_parser("serve", help="migrate, then serve the API and the web UI")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--no-migrate", action="store_true")
    serve.add_argument("--no-worker", action="store_true", help="do not start the embedded background worker")
    serve.set_defaults(func=cmd_serve)
    worker = sub.add_parser("worker", help="run a background worker (Celery)")
    worker.add_argument("--beat", action="store_true", help="also run the periodic schedule (one worker only)")
    worker.add_argument("--queues", default="default,ocr,index,webhooks",
                        help="comma-separated: default (schedules), ocr (extraction and OCR), index (search), "
                             "webhooks (outbound deliveries)")
    worker.add_argument("--concurrency", type=int, default=2)
    worker.set_defaults(func=cmd_worker)
    reindex = sub.add_parser("reindex", help="rebuild the search index from the database and stored texts")
    reindex.set_defaults(func=cmd_reindex)
    scan = sub.add_parser("scan-deadlines", help="raise due-soon and overdue alerts now")
    scan.set_defaults(func=cmd_scan_deadlines)
    admin = sub.add_parser("create-admin", help="create the first administrator")
    admin.add_argument("--username", required=True)
    admin.add_argument("--full-name", required=True)
    admin.add_argument("--agency-code", required=True)
    admin.add_argument("--agency-name", help="creates the agency (province level) when it does not exist")
    admin.add_argument("--password", help="default: $HOSO_ADMIN_PASSWORD or a prompt")
    admin.set_defaults(func=cmd_create_admin)
    demo = sub.add_parser("load-demo", help="load Đồng Nai demo agencies, procedures, users and dossiers")
    demo.add_argument("--no-dossiers", action="store_true")
    demo.set_defaults(func=cmd_load_demo)
    for name in ("import-agencies", "import-procedures"):
        imp = sub.add_parser(name, help=f"{name.replace('-', ' ')} from a JSON file")
        imp.add_argument("file")
        imp.set_defaults(func=cmd_import)
    sub.add_parser("export-procedures", help="print the procedure catalogue as JSON").set_defaults(
        func=cmd_export_procedures)
    register_archive_commands(sub)
    register_import_command(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings()
    except ValueError as exc:
        print(f"Cấu hình không hợp lệ / invalid settings: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        code: int = args.func(settings, args)
    except DomainError as exc:
        print(f"{exc.code}: {exc.message_vi} / {exc.message_en}", file=sys.stderr)
        return 1
    return code


if __name__ == "__main__":
    sys.exit(main())
