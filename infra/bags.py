"""Export and import packages, put together: the use cases give the dossier's (or the archival file's) record, the
printed control slip comes from the API's reports, the blobs stream from the store, and storage.bags writes and checks
the BagIt bag.

A dossier's bag (`data/` of the bag; a file's bag holds each dossier under `dossiers/<code>/` and adds the file's own
`metadata/file.json` and `metadata/file.xml`):

    metadata/dossier.json    the whole record: history with hand-overs, letters, documents, hashes, page texts
    metadata/decree30.json   the Decree 30 file and document metadata (the same fields as the XML)
    metadata/dossier.xml     the Decree 30 XML
    control-slip.pdf         the control slip (phiếu kiểm soát)
    audit.jsonl              the dossier's entries of the audit chain, one JSON object a line, with their hashes
    blobs/<key>              originals and derivatives (searchable PDF/A, page texts, thumbnails) at their store keys
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from api.reports.control_slip_pdf import render_control_slip_pdf
from infra.backends import Backends
from records.access import Principal
from records.decree30 import FileMetadata, file_xml
from records.package import ArchivalFileRecord, file_record_from_json, plain, record_from_json
from records.services.bags import (
    DossierExport,
    ImportedPackage,
    PackageDossier,
    export_archival_file,
    export_dossier,
    import_package,
)
from storage.bags import OpenedBag, Opener, ensure_free, invalid_bag, open_bag, write_bag

RECORD = "metadata/dossier.json"
DECREE30 = "metadata/decree30.json"
XML = "metadata/dossier.xml"
FILE_RECORD = "metadata/file.json"
FILE_XML = "metadata/file.xml"


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True).encode()


def _decree30(metadata: FileMetadata) -> dict[str, Any]:
    return plain(metadata)  # type: ignore[no-any-return]


def _opener(backends: Backends, key: str) -> Opener:
    return lambda: backends.blobs.open(key)


def _dossier_files(backends: Backends, export: DossierExport, prefix: str = "") -> dict[str, Path | bytes | Opener]:
    """The files of one dossier inside a bag's data/ folder (under `prefix` in a file's bag); blobs stream from the
    store straight into the bag."""
    files: dict[str, Path | bytes | Opener] = {
        f"{prefix}{RECORD}": _json(export.record.to_json()),
        f"{prefix}{DECREE30}": _json(_decree30(export.metadata)),
        f"{prefix}{XML}": file_xml(export.metadata),
        f"{prefix}control-slip.pdf": render_control_slip_pdf(export.slip),
        f"{prefix}audit.jsonl": "".join(json.dumps({"id": c.id, "prev_hash": c.prev_hash, "entry_hash": c.entry_hash,
                                                    "entry": plain(c.entry)}, ensure_ascii=False, sort_keys=True)
                                        + "\n" for c in export.audit).encode(),
    }
    for key in export.blob_keys:
        files[f"{prefix}blobs/{key}"] = _opener(backends, key)
    return files


def _info(backends: Backends, code: str, kind: str) -> dict[str, str]:
    return {"Source-Organization": "hoso", "External-Identifier": code, "External-Description": kind,
            "Bag-Software-Agent": "hoso (bagit-python)",
            "Bagging-Date": backends.clock.now().date().isoformat()}


def export_dossier_bag(backends: Backends, code: str, target: Path, actor: Principal | None = None) -> Path:
    """Writes the dossier's bag at `target` (which must not exist) and returns it. `actor` None: a deposit's own
    writer; records.services.bags.OPERATOR: the command line."""
    ensure_free(target)
    export = export_dossier(uow=backends.uow(), clock=backends.clock, calendar=backends.calendar,
                            blobs=backends.blobs, actor=actor, code=code)
    return write_bag(target, _dossier_files(backends, export), _info(backends, code, "dossier"))


def export_file_bag(backends: Backends, file_code: str, target: Path, actor: Principal | None = None) -> Path:
    """An archival file as one bag: the file's record and Decree 30 XML, then every dossier in its own folder."""
    ensure_free(target)
    export = export_archival_file(uow=backends.uow(), clock=backends.clock, calendar=backends.calendar,
                                  blobs=backends.blobs, actor=actor, file_code=file_code)
    files: dict[str, Path | bytes | Opener] = {FILE_RECORD: _json(export.record.to_json()),
                                               FILE_XML: file_xml(export.metadata)}
    for dossier in export.dossiers:
        files.update(_dossier_files(backends, dossier, prefix=f"dossiers/{dossier.record.dossier.code}/"))
    return write_bag(target, files, _info(backends, file_code, "archival file"))


def export_bag(backends: Backends, code: str, target: Path, actor: Principal | None = None) -> Path:
    """A dossier code or an archival file code."""
    with backends.uow() as uow:
        is_file = uow.archival_files.get(code) is not None
    if is_file:
        return export_file_bag(backends, code, target, actor)
    return export_dossier_bag(backends, code, target, actor)


def _read_json(bag: OpenedBag, name: str) -> dict[str, Any]:
    try:
        data = json.loads(bag.data(name).read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise invalid_bag("tệp thông tin không đọc được.", "a metadata file cannot be read.", file=name) from exc
    if not isinstance(data, dict):
        raise invalid_bag("tệp thông tin không đúng dạng.", "a metadata file has the wrong shape.", file=name)
    return data


def _dossier_prefixes(bag: OpenedBag) -> list[str]:
    if bag.data(RECORD).is_file():
        return [""]
    return sorted({name.rsplit(RECORD, 1)[0] for name in bag.files("dossiers") if name.endswith(RECORD)})


def read_bag(root: Path) -> tuple[list[PackageDossier], ArchivalFileRecord | None]:
    """The dossiers (and the archival file, or None) of the bag at `root`, once every checksum, every file and every
    path of it checks out."""
    bag = open_bag(root)
    dossiers = []
    for prefix in _dossier_prefixes(bag):
        record = record_from_json(_read_json(bag, f"{prefix}{RECORD}"))
        blob_files = {name.removeprefix(f"{prefix}blobs/"): bag.data(name) for name in bag.files(f"{prefix}blobs")}
        dossiers.append(PackageDossier(record, blob_files))
    archival_file = None
    if bag.data(FILE_RECORD).is_file():
        archival_file = file_record_from_json(_read_json(bag, FILE_RECORD), new_id=uuid.uuid4().hex)
    return dossiers, archival_file


def import_bag(backends: Backends, root: Path, actor: Principal | None = None) -> ImportedPackage:
    """Checks the whole bag first (refused whole on any wrong checksum, missing file or path outside it), then
    re-ingests its dossiers and archival file in one transaction (refused whole for an unknown agency or procedure or
    a code that exists here)."""
    dossiers, archival_file = read_bag(root)
    return import_package(uow=backends.uow(), clock=backends.clock, blobs=backends.blobs,
                          actor=actor, dossiers=dossiers, archival_file=archival_file)
