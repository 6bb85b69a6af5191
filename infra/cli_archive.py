"""The archivist's commands: `hoso audit …`, `hoso fixity …`, `hoso export-bag`, `hoso import-bag`, `hoso archive …`."""

from __future__ import annotations

import argparse
import json
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
