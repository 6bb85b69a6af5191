"""Export and import packages, put together: the use cases give the dossier's record, the printed control slip comes
from the API's reports, the blobs from the store, and storage.bags writes and checks the BagIt bag."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from api.reports.control_slip_pdf import render_control_slip_pdf
from infra.backends import Backends
from records.access import Principal
from records.decree30 import file_xml
from records.errors import NotFound
from records.package import plain, record_from_json
from records.services.bags import DossierExport, export_dossier, import_dossier
from storage.bags import OpenedBag, open_bag, write_bag

RECORD = "metadata/dossier.json"
XML = "metadata/dossier.xml"


def _dossier_files(backends: Backends, export: DossierExport, prefix: str = "") -> dict[str, Path | bytes]:
    """The files of one dossier inside a bag's data/ folder (under `prefix` in a file's bag)."""
    files: dict[str, Path | bytes] = {
        f"{prefix}{RECORD}": json.dumps(export.record.to_json(), ensure_ascii=False, indent=1, sort_keys=True).encode(),
        f"{prefix}{XML}": file_xml(export.metadata),
        f"{prefix}control-slip.pdf": render_control_slip_pdf(export.slip),
        f"{prefix}audit.jsonl": "".join(json.dumps({"id": c.id, "prev_hash": c.prev_hash, "entry_hash": c.entry_hash,
                                                    "entry": plain(c.entry)}, ensure_ascii=False, sort_keys=True)
                                        + "\n" for c in export.audit).encode(),
    }
    scratch = Path(tempfile.mkdtemp(prefix="bag-", dir=_work_dir(backends)))
    for key in export.blob_keys:
        local = scratch / key.replace("/", "_")
        with backends.blobs.open(key) as source, local.open("wb") as target:
            while chunk := source.read(1024 * 1024):
                target.write(chunk)
        files[f"{prefix}blobs/{key}"] = local
    return files


def _work_dir(backends: Backends) -> Path:
    directory = (backends.settings.data_dir / "work").resolve()
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def _info(backends: Backends, code: str, kind: str) -> dict[str, str]:
    return {"Source-Organization": "hoso", "External-Identifier": code, "External-Description": kind,
            "Bag-Software-Agent": "hoso (bagit-python)",
            "Bagging-Date": backends.clock.now().date().isoformat()}


def export_dossier_bag(backends: Backends, code: str, target: Path, actor: Principal | None = None) -> Path:
    export = export_dossier(uow=backends.uow(), clock=backends.clock, calendar=backends.calendar,
                            blobs=backends.blobs, actor=actor, code=code)
    return write_bag(target, _dossier_files(backends, export), _info(backends, code, "dossier"))


def export_file_bag(backends: Backends, file_code: str, target: Path, actor: Principal | None = None) -> Path:
    """An archival file as one bag: the file's Decree 30 XML, then every dossier in its own folder."""
    from records.services.archival_files import file_export

    summary, xml = file_export(uow=backends.uow(), actor=actor, file_code=file_code)
    files: dict[str, Path | bytes] = {"metadata/file.xml": xml}
    for code in summary.dossier_codes:
        export = export_dossier(uow=backends.uow(), clock=backends.clock, calendar=backends.calendar,
                                blobs=backends.blobs, actor=actor, code=code)
        files.update(_dossier_files(backends, export, prefix=f"dossiers/{code}/"))
    return write_bag(target, files, _info(backends, file_code, "archival file"))


def export_bag(backends: Backends, code: str, target: Path, actor: Principal | None = None) -> Path:
    """A dossier code or an archival file code."""
    with backends.uow() as uow:
        is_file = uow.archival_files.get(code) is not None
    if is_file:
        return export_file_bag(backends, code, target, actor)
    return export_dossier_bag(backends, code, target, actor)


def _dossier_prefixes(bag: OpenedBag) -> list[str]:
    if bag.data(RECORD).is_file():
        return [""]
    return sorted({name.rsplit(RECORD, 1)[0] for name in bag.files("dossiers") if name.endswith(RECORD)})


def import_bag(backends: Backends, root: Path, actor: Principal | None = None) -> list[str]:
    """Checks the whole bag first (refused whole on any wrong checksum, missing file or path outside it), then
    re-ingests each dossier in it."""
    bag = open_bag(root)
    prefixes = _dossier_prefixes(bag)
    if not prefixes:
        raise NotFound("Gói không chứa hồ sơ nào.", "The package holds no dossier.", code="empty_bag")
    records = []
    for prefix in prefixes:
        record = record_from_json(json.loads(bag.data(f"{prefix}{RECORD}").read_text(encoding="utf-8")))
        blob_files = {name.removeprefix(f"{prefix}blobs/"): bag.data(name) for name in bag.files(f"{prefix}blobs")}
        records.append((record, blob_files))
    imported = []
    for record, blob_files in records:
        imported.append(import_dossier(uow=backends.uow(), clock=backends.clock, blobs=backends.blobs,
                                       tasks=backends.tasks, actor=actor, record=record, blob_files=blob_files))
    return imported
