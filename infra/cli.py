"""The `hoso` command: serve, migrate, create-admin, load-demo, import/export the catalogue."""

from __future__ import annotations

import argparse
import contextlib
import getpass
import json
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from infra.bulk_import import register_import_command
from infra.cli_archive import register_archive_commands
from infra.cli_ops import register_ops_commands
from infra.logs import configure_logging
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
    from infra.settings import Mode

    if settings.mode is Mode.PRODUCTION:
        print("Không nạp dữ liệu mẫu ở chế độ production (tài khoản mẫu dùng chung một mật khẩu) / "
              "refusing to load demo data in production mode (the demo accounts share one password)", file=sys.stderr)
        return 2
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


def _production_refusal(settings: Settings) -> str | None:
    from infra.production import production_refusal

    with opened_backends(settings) as backends:
        return production_refusal(backends)


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from api.app import create_app

    if not args.no_migrate:
        _migrate(settings)
    if (refused := _production_refusal(settings)) is not None:
        print(refused, file=sys.stderr)
        return 2
    host, port = args.host or settings.host, args.port or settings.port
    # uvicorn stops on SIGTERM and then re-raises it: with the default handler the process would die before the
    # worker is stopped. Turned into SystemExit, the `finally` below runs.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    worker = None
    _sweep_at_start(settings)
    try:
        if not args.no_worker and not settings.celery_broker_url:
            # Embedded install: the worker runs beside the API as a child process, queueing through files.
            worker = _start_embedded_worker()
            print(f"Tiến trình xử lý nền / background worker: pid {worker.pid}", flush=True)
        print(f"hoso đang chạy tại / serving at http://{host}:{port}/  (API: http://{host}:{port}/docs)", flush=True)
        # The app itself believes X-Forwarded-For only from settings.trusted_proxies; uvicorn (its access log) the same.
        uvicorn.run(create_app(settings), host=host, port=port, log_level=settings.log_level.lower(), workers=1,
                    proxy_headers=bool(settings.trusted_proxies),
                    forwarded_allow_ips=settings.trusted_proxies or None,
                    log_config=None, access_log=False)  # hoso's logging: JSON lines, its own access line
    except KeyboardInterrupt:
        pass
    finally:
        if worker is not None:
            _stop_worker(worker, grace_seconds=settings.ocr_chunk_seconds + 30)
    return 0


def _exit_on_signal(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def _die_with_parent() -> None:
    """In the worker child: SIGTERM when `hoso serve` dies, even by SIGKILL (Linux prctl PR_SET_PDEATHSIG)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


def _start_embedded_worker() -> subprocess.Popen[bytes]:
    """The worker in its own process group (with its pool and Tesseract children), so it can be stopped whole."""
    return subprocess.Popen([sys.executable, "-m", "infra.cli", "worker", "--beat"], start_new_session=True,
                            preexec_fn=_die_with_parent)


def _stop_worker(worker: subprocess.Popen[bytes], *, grace_seconds: float) -> None:
    """Warm shutdown: the worker finishes (or hands back) its current task; past the grace period, it and every
    process of its group are killed. A task cut off that way is picked up again by the stuck-document sweeper."""
    if worker.poll() is None:
        worker.terminate()
        try:
            worker.wait(timeout=grace_seconds)
        except subprocess.TimeoutExpired:
            print("Tiến trình xử lý nền không dừng kịp, buộc dừng / worker did not stop in time, killing it",
                  file=sys.stderr, flush=True)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(worker.pid, signal.SIGKILL)  # leftovers of the group: pool children, Tesseract, the worker
    worker.wait()
def _sweep_at_start(settings: Settings) -> None:
    """What a killed process left behind (staged uploads, orphan blobs past the grace period) goes at start-up."""
    from infra.jobs import sweep_job

    try:
        with opened_backends(settings) as backends:
            sweep_job(backends)
    except Exception:  # a sweep that fails must not keep the service down; the scheduled one tries again
        logging.getLogger("hoso.sweep").exception("start-up sweep failed")


def cmd_worker(settings: Settings, args: argparse.Namespace) -> int:
    from workers.app import create_celery

    app = create_celery(settings)
    concurrency = args.concurrency or settings.worker_concurrency
    argv = ["worker", "--loglevel", settings.log_level, "--concurrency", str(concurrency),
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
    from records.search import SearchUnavailable
    from records.services.search import reindex_all

    with opened_backends(settings) as backends:
        try:
            count = reindex_all(uow=backends.uow(), index=backends.search)
        except SearchUnavailable as error:
            print(REINDEX_ADVICE.get(str(error.detail.get("reason")), REINDEX_ADVICE["damaged"]).format(
                path=error.detail.get("path") or settings.es_url, error=error.detail.get("error", "")),
                file=sys.stderr)
            return 1
    print(f"Đã lập chỉ mục lại / reindexed: {count} hồ sơ")
    return 0


# What `hoso reindex` says when the index refuses: a permission problem is fixed on the files, never by deleting.
REINDEX_ADVICE = {
    "permission": "Không ghi được vào chỉ mục tìm kiếm {path}: tiến trình hoso không có quyền ghi (chủ sở hữu hoặc "
                  "quyền của thư mục). Hãy cấp quyền ghi cho người dùng chạy hoso (chown/chmod) rồi chạy lại "
                  "`hoso reindex`; chỉ mục không hỏng, KHÔNG xóa nó. / The search index {path} cannot be written: the "
                  "hoso process lacks permission (owner or mode of the directory). Give the hoso user write access "
                  "and run `hoso reindex` again; the index is not damaged, do NOT delete it. ({error})",
    "schema": "Chỉ mục tìm kiếm {path} được tạo với lược đồ khác (phiên bản hoso khác). Hãy xóa thư mục đó rồi chạy "
              "lại `hoso reindex` để dựng lại từ cơ sở dữ liệu. / The search index {path} was built with another "
              "schema (another hoso version). Delete that directory and run `hoso reindex` again to rebuild it from "
              "the database. ({error})",
    "damaged": "Chỉ mục tìm kiếm {path} bị hỏng hoặc không đọc được. Hãy chuyển thư mục đó sang chỗ khác (hoặc xóa) "
               "rồi chạy lại `hoso reindex` để dựng lại từ cơ sở dữ liệu. / The search index {path} is damaged or "
               "unreadable. Move the directory aside (or delete it) and run `hoso reindex` again to rebuild it from "
               "the database. ({error})",
    "unreachable": "Máy chủ tìm kiếm {path} không trả lời; hãy kiểm tra rồi chạy lại `hoso reindex`. / The search "
                   "server {path} does not answer; check it and run `hoso reindex` again. ({error})",
}


def cmd_sweep(settings: Settings, _args: argparse.Namespace) -> int:
    from infra.jobs import sweep_job

    with opened_backends(settings) as backends:
        result = sweep_job(backends)
    print(f"Đã dọn / swept (older than {settings.orphan_grace_minutes} min): "
          f"{result['staging_files']} tệp tạm tải lên / staged uploads, {result['work_files']} thư mục xử lý / "
          f"work dirs, {result['blob_temporaries']} bản ghi dở / temporary blobs, {result['blobs_removed']} "
          f"tệp không còn hồ sơ nào tham chiếu / unreferenced blobs (of {result['blobs_checked']} checked)")
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
    worker.add_argument("--concurrency", type=int, help="processes (default: HOSO_WORKER_CONCURRENCY, 2)")
    worker.set_defaults(func=cmd_worker)
    reindex = sub.add_parser("reindex", help="rebuild the search index from the database and stored texts")
    reindex.set_defaults(func=cmd_reindex)
    sub.add_parser("sweep", help="remove staging/temp files and unreferenced blobs older than the grace period"
                   ).set_defaults(func=cmd_sweep)
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
    register_ops_commands(sub)
    register_import_command(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as exc:
        reasons = "\n".join(str(error["msg"]).removeprefix("Value error, ") for error in exc.errors())
        print(f"Cấu hình không hợp lệ / invalid settings:\n{reasons}", file=sys.stderr)
        return 2
    if not logging.getLogger().handlers:  # as basicConfig: a host that set up logging (a test runner) keeps it
        configure_logging(settings.log_level, settings.log_format)
    try:
        code: int = args.func(settings, args)
    except DomainError as exc:
        print(f"{exc.code}: {exc.message_vi} / {exc.message_en}", file=sys.stderr)
        return 1
    return code


if __name__ == "__main__":
    sys.exit(main())
