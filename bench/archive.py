"""The archive's figures (issue 8), each beside an anchor measured in the same run:

* fixity: re-check throughput of `run_fixity` (no rate limit) against plain `sha256sum` over the same blob files
  (target ≥ 80%);
* export/import: an archival file of 1,000 documents exported as a BagIt bag and imported into a second instance,
  against `bagit.make_bag` alone on the same payload.

Run: `make bench` (or `python -m bench.archive --documents 1000`). The audit chain's figures are in `bench.audit`.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import shutil
import subprocess
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.common import print_table

MiB = 1024 * 1024


def _instance(directory: Path, url: str) -> object:
    from infra.demo import load_demo
    from infra.settings import Settings
    from infra.wiring import build_backends

    backends = build_backends(Settings(database_url=url, data_dir=directory, secret_key="b" * 40, tasks="inline"))
    load_demo(backends, password="bench-password-0", with_dossiers=False)
    return backends


def bench_fixity(blob_count: int, blob_mib: int) -> list[list[object]]:
    from records.blobs import original_key
    from records.fixity import BlobRecord
    from records.services.fixity import Pace, run_fixity
    from storage.provision import scratch_sqlite

    with tempfile.TemporaryDirectory(prefix="hoso-bench-fixity-") as tmp:
        root = Path(tmp)
        with scratch_sqlite(root) as url:
            backends = _instance(root / "data", url)
            records, paths = [], []
            for n in range(blob_count):
                data = os.urandom(blob_mib * MiB) if n == 0 else hashlib.sha256(str(n).encode()).digest() * (
                    blob_mib * MiB // 32)
                sha = hashlib.sha256(data).hexdigest()
                info = backends.blobs.put(original_key(sha), io.BytesIO(data), sha256=sha)  # type: ignore[attr-defined]
                records.append(BlobRecord(info.key, sha, info.size, None, datetime.now(UTC)))
                paths.append(str(root / "data" / "blobs" / info.key))
            with backends.uow() as uow:  # type: ignore[attr-defined]
                uow.begin_write()
                uow.fixity.record(records)
                uow.commit()
            total = blob_count * blob_mib
            rows = []
            for attempt in (1, 2):
                began = time.perf_counter()
                subprocess.run(["sha256sum", *paths], check=True, stdout=subprocess.DEVNULL)
                anchor = total / (time.perf_counter() - began)
                run = run_fixity(uow=backends.uow(), blobs=backends.blobs, clock=backends.clock,  # type: ignore
                                 pace=Pace(0), full_pass=True)
                assert run.checked == blob_count and not run.problems
                rate = run.bytes_read / MiB / run.seconds
                rows.append([f"run {attempt}", blob_count, f"{total} MiB", f"{anchor:.0f}", f"{rate:.0f}",
                             f"{rate / anchor:.0%}"])
            backends.close()  # type: ignore[attr-defined]
    return rows


def bench_bags(documents: int) -> list[list[object]]:
    import bagit

    from infra.bags import export_bag, import_bag
    from records.blobs import original_key
    from records.documents import Document, DocumentStatus, PageSource, PageText
    from records.dossiers import Applicant, ApplicantKind, Channel, DossierState
    from records.procedures import DocumentType
    from records.services.archival_files import create_file
    from records.services.catalogue import load_principal
    from records.services.dossiers import transition_dossier
    from records.services.intake import receive_dossier
    from storage.provision import scratch_sqlite
    from tests.support.papers import born_digital_pdf

    with tempfile.TemporaryDirectory(prefix="hoso-bench-bags-") as tmp:
        root = Path(tmp)
        (root / "a").mkdir()
        (root / "b").mkdir()
        with scratch_sqlite(root / "a") as url_a, scratch_sqlite(root / "b") as url_b:
            first, second = _instance(root / "a" / "data", url_a), _instance(root / "b" / "data", url_b)
            desk = load_principal(uow=first.uow(), username="tiepnhan.tranbien")  # type: ignore[attr-defined]
            code = receive_dossier(uow=first.uow(), clock=first.clock, calendar=first.calendar, actor=desk,  # type: ignore
                                   procedure_code="1.001193",
                                   applicant=Applicant(ApplicantKind.PERSON, "Nguyễn Văn Lưu", "075190004444"),
                                   channel=Channel.COUNTER, received_at=first.clock.now(),  # type: ignore
                                   signer=first.signer).dossier.code  # type: ignore[attr-defined]
            transition_dossier(uow=first.uow(), clock=first.clock, calendar=first.calendar, actor=desk,  # type: ignore
                               code=code, to=DossierState.REFUSED, note="bench")
            now = first.clock.now()  # type: ignore[attr-defined]
            with first.uow() as uow:  # type: ignore[attr-defined]
                uow.begin_write()
                for n in range(documents):
                    content = born_digital_pdf([[f"Văn bản số {n}/QĐ-UBND", "Lưu trữ hồ sơ thủ tục hành chính"]])
                    sha = hashlib.sha256(content).hexdigest()
                    first.blobs.put(original_key(sha), io.BytesIO(content), sha256=sha)  # type: ignore[attr-defined]
                    uow.documents.add(Document(id=f"{n:032x}", dossier_code=code, document_type=DocumentType.DECISION,
                                               title=f"Văn bản {n}", filename=f"vb-{n}.pdf",
                                               media_type="application/pdf", size_bytes=len(content), sha256=sha,
                                               uploaded_by="bench", uploaded_at=now, status=DocumentStatus.INDEXED,
                                               page_count=1))
                    uow.documents.set_pages(f"{n:032x}", [PageText(1, f"Văn bản số {n}", PageSource.TEXT_LAYER)])
                uow.commit()
            archivist = load_principal(uow=first.uow(), username="luutru.tranbien")  # type: ignore[attr-defined]
            summary = create_file(uow=first.uow(), clock=first.clock, actor=archivist,  # type: ignore[attr-defined]
                                  organ_id="000.60.01.H19", year=now.year, notation="BENCH-01",
                                  title="Hồ sơ đo hiệu năng", maintenance="05 năm", dossier_codes=[code])
            began = time.perf_counter()
            bag = export_bag(first, summary.file.file_code, root / "bag")  # type: ignore[arg-type]
            exported = time.perf_counter() - began
            payload = root / "payload"
            shutil.copytree(bag / "data", payload)
            began = time.perf_counter()
            bagit.make_bag(str(payload), {}, checksums=["sha256"])
            anchor = time.perf_counter() - began
            began = time.perf_counter()
            assert import_bag(second, bag) == [code]  # type: ignore[arg-type]
            imported = time.perf_counter() - began
            first.close()  # type: ignore[attr-defined]
            second.close()  # type: ignore[attr-defined]
    return [[documents, "bagit.make_bag alone (anchor)", f"{anchor:.1f}", ""],
            [documents, "export (file → bag)", f"{exported:.1f}", f"{exported / anchor:.1f}×"],
            [documents, "import (validate + re-ingest + index)", f"{imported:.1f}", f"{imported / anchor:.1f}×"]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--blobs", type=int, default=60)
    parser.add_argument("--blob-mib", type=int, default=8)
    parser.add_argument("--documents", type=int, default=1000)
    parser.add_argument("--only", default="fixity,bags")
    args = parser.parse_args(argv)
    wanted = set(args.only.split(","))
    if "fixity" in wanted:
        print_table("Fixity re-check (local blobs, no rate limit) against sha256sum on the same files",
                    ["run", "blobs", "size", "sha256sum MiB/s", "fixity MiB/s", "ratio"],
                    bench_fixity(args.blobs, args.blob_mib))
    if "bags" in wanted:
        print_table("An archival file as a BagIt bag (SQLite, local blobs)", ["documents", "step", "seconds",
                                                                             "vs anchor"], bench_bags(args.documents))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
