"""What one Prometheus scrape of /metrics costs the database, at a provincial size.

The operations figures (infra.metrics) are read from PostgreSQL on every scrape. This fills a scratch database
with DOCUMENTS documents, PAGES pages (half from OCR) and BLOBS blob records, then times `read_operations` (every
query of one scrape) against an anchor measured in the same run: the raw `SELECT count(*) FROM document_pages`
that any page figure needs at least. Run: `make bench` (or `python -m bench.metrics_scrape --documents 100000`).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, text

from bench.common import bench_database, percentile, print_table

ROUNDS = 7


def _fill(url: str, data_dir: Path, documents: int, pages_per_document: int, blobs: int) -> None:
    from infra.demo import agency_from_dict, read_json
    from infra.settings import Settings
    from infra.wiring import build_backends
    from records.access import Role
    from records.dossiers import Applicant, ApplicantKind, Channel
    from records.procedures import procedure_from_dict
    from records.services.catalogue import create_user, import_agencies, import_procedures, load_principal
    from records.services.intake import receive_dossier

    settings = Settings(database_url=url, data_dir=data_dir, secret_key="bench-secret-0123456789abcdef0123456789")
    backends = build_backends(settings)
    import_agencies(uow=backends.uow(), agencies=[agency_from_dict(a) for a in read_json("agencies.json")],
                    clock=backends.clock)
    import_procedures(uow=backends.uow(), procedures=[procedure_from_dict(p) for p in read_json("procedures.json")],
                      clock=backends.clock)
    desk = next(u for u in read_json("users.json") if u["username"] == "tiepnhan.tranbien")
    create_user(uow=backends.uow(), hasher=backends.hasher, username=desk["username"], full_name=desk["full_name"],
                agency_code=desk["agency_code"], roles=[Role(r) for r in desk["roles"]], password="bench-password-1",
                clock=backends.clock)
    receive_dossier(uow=backends.uow(), clock=backends.clock, calendar=backends.calendar, signer=backends.signer,
                    actor=load_principal(uow=backends.uow(), username=desk["username"]),
                    procedure_code="1.001193", channel=Channel.COUNTER,
                    applicant=Applicant(ApplicantKind.PERSON, "Nguyễn Văn An", "075085001234"))
    backends.close()
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO documents (id, dossier_id, document_type, title, filename, media_type, size_bytes, sha256, "
            "uploaded_by, uploaded_at, status, status_changed_at, page_count, has_searchable_pdf, attempts, "
            "failure_code, is_result) "
            "SELECT 'doc' || g, (SELECT id FROM dossiers LIMIT 1), 'other', 't', 'f.pdf', 'application/pdf', 1, "
            "md5(g::text) || md5(g::text), 'bench', now(), "
            "CASE WHEN g % 100 = 0 THEN 'failed' WHEN g % 97 = 0 THEN 'ocr' ELSE 'indexed' END, "
            "now() - (g % 10000) * interval '1 second', :pages, false, 1, "
            "CASE WHEN g % 100 = 0 THEN 'encrypted_pdf' END, false FROM generate_series(1, :n) g"),
            {"n": documents, "pages": pages_per_document})
        conn.execute(text(
            "INSERT INTO document_pages (document_id, page_number, text, source) "
            "SELECT 'doc' || d, p, 'text', CASE WHEN d % 2 = 0 THEN 'ocr' ELSE 'text_layer' END "
            "FROM generate_series(1, :n) d, generate_series(1, :pages) p"),
            {"n": documents, "pages": pages_per_document})
        conn.execute(text(
            "INSERT INTO blob_records (key, sha256, size, recorded_at, checked_at, last_outcome, kind) "
            "SELECT 'blob/' || g, md5(g::text) || md5(g::text), 1, now(), now(), "
            "CASE WHEN g % 1000 = 0 THEN 'mismatch' ELSE 'ok' END, 'original' FROM generate_series(1, :n) g"),
            {"n": blobs})
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--pages", type=int, default=10, help="pages per document")
    parser.add_argument("--blobs", type=int, default=300_000)
    args = parser.parse_args()
    from storage.db import make_engine
    from storage.operations import read_operations

    with bench_database("postgres") as url:
        started = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="hoso-bench-") as data_dir:
            _fill(url, Path(data_dir), args.documents, args.pages, args.blobs)
        filled = time.perf_counter() - started
        engine = make_engine(url, pool_size=2)
        scrape, anchor = [], []
        for _ in range(ROUNDS):
            t0 = time.perf_counter()
            snapshot = read_operations(engine, datetime.now(UTC))
            scrape.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            with engine.connect() as conn:
                conn.execute(text("SELECT count(*) FROM document_pages")).scalar_one()
            anchor.append(time.perf_counter() - t0)
        engine.dispose()
    pages = args.documents * args.pages
    median_scrape, median_anchor = percentile(scrape, 0.5), percentile(anchor, 0.5)
    print_table(f"/metrics database read, PostgreSQL: {args.documents:,} documents, {pages:,} pages, "
                f"{args.blobs:,} blob records (filled in {filled:.0f} s; median of {ROUNDS})",
                ["what", "median ms", "max ms", "× anchor"],
                [["read_operations (one scrape)", f"{median_scrape * 1000:.0f}", f"{max(scrape) * 1000:.0f}",
                  f"{median_scrape / median_anchor:.1f}"],
                 ["anchor: SELECT count(*) FROM document_pages", f"{median_anchor * 1000:.0f}",
                  f"{max(anchor) * 1000:.0f}", "1.0"]])
    print(f"(checked: {snapshot.ocr_pages:,} OCR pages, {snapshot.index_lag_documents:,} waiting for the index, "
          f"{sum(snapshot.failures_by_code.values()):,} failed)")


if __name__ == "__main__":
    main()
