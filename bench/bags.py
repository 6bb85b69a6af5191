"""Export and import of an archival file of 1,000 documents as a BagIt bag (issue 8), each beside anchors measured in
the same run on the same files:

* export (`export_bag`: the file's and dossiers' records, control slips, audit excerpts, blobs streamed from the
  store, SHA-256 manifests) against `cp -r` of the same payload and `bagit.make_bag` alone on it;
* import (`import_bag` into a second instance: the whole bag validated, blobs put with their hashes, every row in one
  transaction, the search entry rebuilt) against `bagit`'s own full validation of the same bag.

Run: `make bench` (or `python -m bench.bags --documents 1000 --databases sqlite,postgres`).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import bagit

from bench.common import bench_database, print_table
from infra.bags import export_bag, import_bag
from infra.demo import load_demo
from infra.settings import Settings
from infra.wiring import Backends, build_backends
from records.blobs import original_key
from records.documents import Document, DocumentStatus, PageSource, PageText
from records.dossiers import Applicant, ApplicantKind, Channel, DossierState
from records.procedures import DocumentType
from records.services.archival_files import create_file
from records.services.catalogue import load_principal
from records.services.dossiers import transition_dossier
from records.services.intake import receive_dossier
from tests.support.papers import born_digital_pdf


def _instance(directory: Path, url: str) -> Backends:
    backends = build_backends(Settings(database_url=url, data_dir=directory, secret_key="b" * 40, tasks="inline"))
    load_demo(backends, password="bench-password-0", with_dossiers=False)
    return backends


def _archival_file(backends: Backends, documents: int) -> str:
    """A closed dossier of `documents` small born-digital PDFs (one page each, a page text each), in an archival
    file."""
    desk = load_principal(uow=backends.uow(), username="tiepnhan.tranbien")
    code = receive_dossier(uow=backends.uow(), clock=backends.clock, calendar=backends.calendar, actor=desk,
                           procedure_code="1.001193",
                           applicant=Applicant(ApplicantKind.PERSON, "Nguyễn Văn Lưu", "075190004444"),
                           channel=Channel.COUNTER, received_at=backends.clock.now(),
                           signer=backends.signer).dossier.code
    transition_dossier(uow=backends.uow(), clock=backends.clock, calendar=backends.calendar, actor=desk, code=code,
                       to=DossierState.REFUSED, note="bench")
    now = backends.clock.now()
    # One real PDF made once; each document is that PDF with its own trailing comment (its own SHA-256), because
    # drawing 1,000 PDFs would take longer than what is measured.
    template = born_digital_pdf([["Quyết định số 01/QĐ-UBND", "Lưu trữ hồ sơ thủ tục hành chính"]])
    with backends.uow() as uow:
        uow.begin_write()
        for n in range(documents):
            content = template + f"\n% văn bản {n}\n".encode()
            sha = hashlib.sha256(content).hexdigest()
            backends.blobs.put(original_key(sha), io.BytesIO(content), sha256=sha)
            uow.documents.add(Document(id=f"{n:032x}", dossier_code=code, document_type=DocumentType.DECISION,
                                       title=f"Văn bản {n}", filename=f"vb-{n}.pdf", media_type="application/pdf",
                                       size_bytes=len(content), sha256=sha, uploaded_by="bench", uploaded_at=now,
                                       status=DocumentStatus.INDEXED, page_count=1))
            uow.documents.set_pages(f"{n:032x}", [PageText(1, f"Văn bản số {n}", PageSource.TEXT_LAYER)])
        uow.commit()
    archivist = load_principal(uow=backends.uow(), username="luutru.tranbien")
    summary = create_file(uow=backends.uow(), clock=backends.clock, actor=archivist, organ_id="000.60.01.H19",
                          year=now.year, notation="BENCH-01", title="Hồ sơ đo hiệu năng", maintenance="05 năm",
                          dossier_codes=[code])
    return summary.file.file_code


def _timed(step: Callable[[], object]) -> float:
    began = time.perf_counter()
    step()
    return time.perf_counter() - began


def bench_bags(kind: str, documents: int) -> list[list[object]]:
    with tempfile.TemporaryDirectory(prefix="hoso-bench-bags-") as tmp, bench_database(kind) as url_a, \
            bench_database(kind) as url_b:
        root = Path(tmp)
        first, second = _instance(root / "a", url_a), _instance(root / "b", url_b)
        try:
            file_code = _archival_file(first, documents)
            exported = _timed(lambda: export_bag(first, file_code, root / "bag"))
            copied = _timed(lambda: subprocess.run(["cp", "-r", str(root / "bag" / "data"), str(root / "copy")],
                                                   check=True))
            made = _timed(lambda: bagit.make_bag(str(root / "copy"), {}, checksums=["sha256"]))
            validated = _timed(lambda: bagit.Bag(str(root / "bag")).validate(processes=1))
            imported = _timed(lambda: import_bag(second, root / "bag"))
            with second.uow() as uow:
                assert len(uow.archival_files.dossier_codes_in(file_code)) == 1
            size = sum(p.stat().st_size for p in (root / "bag").rglob("*") if p.is_file()) / 1024**2
        finally:
            first.close()
            second.close()
            shutil.rmtree(root / "copy", ignore_errors=True)
    anchor_export = copied + made
    return [[kind, documents, f"{size:.0f} MiB", "anchor: cp -r + bagit.make_bag", f"{anchor_export:.2f}", ""],
            [kind, documents, "", "export_bag (file → bag)", f"{exported:.2f}", f"{exported / anchor_export:.1f}×"],
            [kind, documents, "", "anchor: bagit validate (full)", f"{validated:.2f}", ""],
            [kind, documents, "", "import_bag (validate + ingest + index)", f"{imported:.2f}",
             f"{imported / validated:.1f}×"]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=int, default=1000)
    parser.add_argument("--databases", default="sqlite,postgres")
    args = parser.parse_args(argv)
    rows = [row for kind in args.databases.split(",") for row in bench_bags(kind, args.documents)]
    print_table("An archival file as a BagIt bag: export and import into a second instance (local blobs; time in s, "
                "ratio = time against the anchor above it)", ["database", "documents", "bag", "step", "seconds",
                                                                 "vs anchor"], rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
