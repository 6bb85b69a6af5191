"""`hoso import`: a small archive made here (scans and born-digital PDFs) comes in with its history, its papers are
read and found; a re-run skips it; bad rows are refused with reasons and leave nothing; a stopped run resumes.

The runs use the real database (SQLite and PostgreSQL), blob store, Tesseract and search index; the task queue runs
each job at once (the `backends` fixture), so the OCR is done when the import returns.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

import pytest
from rich.console import Console

from infra.bulk_import import ImportSummary, default_report_path, run_import, write_report
from infra.cli import main
from infra.wiring import Backends
from records.access import Principal
from records.access_log import AccessKind, AccessLogFilter
from records.blobs import BackendUnavailable, BlobInfo, BlobStore
from records.dossiers import DossierState, Party
from records.search import SearchFilters
from records.services.search import search_dossiers
from tests.support.factories import BIRTH_REGISTRATION, LAND_FIRST_CERTIFICATE, TRAN_BIEN, cccd
from tests.support.papers import born_digital_pdf, generated_scan

QUIET = Console(file=io.StringIO())  # not a terminal: no progress bar

VI_HEADER = "Mã hồ sơ;Mã cơ quan;Mã thủ tục;Ngày tiếp nhận;Ngày hẹn trả;Ngày có kết quả;Ngày trả kết quả;Trạng thái;" \
            "Người nộp;Số giấy tờ;Trích yếu;Tệp;Tệp kết quả"
EN_HEADER = "dossier_code,agency_code,procedure_code,received_at,due_at,closed_at,state,applicant_name,applicant_id," \
            "files"


def _archive(root: Path, files: dict[str, bytes]) -> Path:
    for name, content in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(content)
    return root


def _manifest(path: Path, header: str, rows: list[str], *, bom: bool = False) -> Path:
    path.write_text(("\ufeff" if bom else "") + "\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def _report(manifest: Path) -> list[dict[str, str]]:
    with default_report_path(manifest).open(encoding="utf-8-sig", newline="") as stream:
        return list(csv.DictReader(stream))


def _run(backends: Backends, root: Path, manifest: Path, **options: bool) -> ImportSummary:
    summary = run_import(backends, root=root, manifest=manifest, console=QUIET, **options)
    write_report(default_report_path(manifest), summary.rejections)
    return summary


def _originals(backends: Backends) -> set[str]:
    return set(backends.blobs.keys("originals/"))


def test_an_archive_comes_in_with_its_recorded_dates_and_state_and_its_papers_are_found(
        backends: Backends, tmp_path: Path, principal: Callable[[str], Principal]) -> None:
    """GIVEN a manifest with Vietnamese headers (BOM, semicolons), a scan and born-digital papers WHEN it is imported
    THEN each dossier has the dates and final state of its record, a history that says it was imported, its papers
    OCR'd and searchable; running it again skips everything."""
    root = _archive(tmp_path / "kho", {
        "2019/03/don.pdf": born_digital_pdf([["Đơn đăng ký cấp giấy chứng nhận quyền sử dụng đất",
                                              "Thửa đất số 318, tờ bản đồ số 27"]]),
        "2019/03/bien-ban.png": generated_scan(["BIÊN BẢN XÁC MINH HIỆN TRẠNG", "Khu phố Bình Đa, phường Trấn Biên"]),
        "2019/04/ket-qua.pdf": born_digital_pdf([["Giấy chứng nhận cấp cho bà Phạm Thị Hạnh"]]),
        "2019/05/khai-sinh.pdf": born_digital_pdf([["Tờ khai đăng ký khai sinh cho cháu Đỗ Minh Khôi"]]),
    })
    manifest = _manifest(tmp_path / "danh-sach.csv", VI_HEADER, [
        f"HS-2019-0001;{TRAN_BIEN};{LAND_FIRST_CERTIFICATE};15/03/2019 09:10;12/04/2019;08/04/2019;10/04/2019;"
        f"Đã trả kết quả;Phạm Thị Hạnh;{cccd()};Cấp GCN lần đầu;2019/03/don.pdf|2019/03/bien-ban.png;"
        "2019/04/ket-qua.pdf",
        f"HS-2019-0002;{TRAN_BIEN};{BIRTH_REGISTRATION};2019-05-06;;;2019-05-07;Đã rút hồ sơ;Đỗ Văn Tâm;"
        "123456789;;2019/05/khai-sinh.pdf;",
    ], bom=True)

    summary = _run(backends, root, manifest)

    assert (summary.imported, summary.skipped, summary.rejected, summary.stopped_at) == (2, 0, 0, None)
    assert (summary.documents_queued, summary.pages_queued) == (4, 4)
    with backends.uow() as uow:
        land = uow.dossiers.get("HS-2019-0001")
        birth = uow.dossiers.get("HS-2019-0002")
        assert land is not None and birth is not None
        history = uow.dossiers.events(land.code)
        documents = uow.documents.list_for_dossier(land.code)
        retention = uow.retention.get(land.code)
        audit, _ = uow.access_log.find(AccessLogFilter(dossier_code=land.code, actions=frozenset(
            {AccessKind.DOSSIER_IMPORTED})))
    assert land.state is DossierState.RESULT_RETURNED and land.holder_party is Party.APPLICANT
    assert land.received_at.isoformat() == "2019-03-15T02:10:00+00:00"  # 09:10 in Vietnam
    assert (land.due_at, land.resolved_at, land.completed_at) == (
        _vn("2019-04-12T17:00"), _vn("2019-04-08T17:00"), _vn("2019-04-10T17:00"))
    assert birth.state is DossierState.WITHDRAWN and birth.resolved_at is None
    assert birth.completed_at == _vn("2019-05-07T17:00") and birth.due_at is not None  # from the procedure
    assert [(e.at, e.from_state, e.to_state) for e in history] == [
        (land.received_at, None, DossierState.RECEIVED),
        (land.completed_at, DossierState.RECEIVED, DossierState.RESULT_RETURNED)]
    assert all("Nhập hồ sơ cũ" in e.note and "danh-sach.csv dòng 2" in e.note for e in history)
    assert history[1].handover is not None and history[1].handover.timeliness.value == "early"
    assert retention is not None and retention.closed_at == land.completed_at  # kept from the recorded closing
    assert len(audit) == 1 and audit[0].detail["row"] == 2
    assert sorted((d.filename, d.status.value, d.is_result) for d in documents) == [
        ("bien-ban.png", "indexed", False), ("don.pdf", "indexed", False), ("ket-qua.pdf", "indexed", True)]

    officer = principal("tiepnhan.tranbien")
    for words, code in (("bien ban xac minh hien trang", "HS-2019-0001"),  # only the scan says this
                        ("to khai dang ky khai sinh", "HS-2019-0002")):
        found = search_dossiers(uow=backends.uow(), clock=backends.clock, index=backends.search, actor=officer,
                                text=words, filters=SearchFilters(), with_facets=False)
        assert [hit.dossier_code for hit in found.results.hits][:1] == [code], words

    stored = _originals(backends)
    again = _run(backends, root, manifest)
    assert (again.imported, again.skipped, again.rejected, again.pages_queued) == (0, 2, 0, 0)
    assert _originals(backends) == stored
    with backends.uow() as uow:
        assert len(uow.documents.list_for_dossier("HS-2019-0001")) == 3


def _vn(text: str) -> object:
    from datetime import datetime

    from records.clock import VN_TZ

    return datetime.fromisoformat(text).replace(tzinfo=VN_TZ)


def test_bad_rows_are_refused_with_reasons_and_leave_nothing_behind(backends: Backends, tmp_path: Path) -> None:
    """GIVEN a manifest with one good row and rows that are wrong in every way an archive can be WHEN it is imported
    THEN the good row comes in and each bad one is in the report with its row, code and reason, with nothing written
    for it: no dossier, no stored original."""
    root = _archive(tmp_path / "kho", {"don.pdf": born_digital_pdf([["Đơn xin cấp bản sao"]]),
                                       "khac.pdf": born_digital_pdf([["Một tờ khác"]]),
                                       "ghi-chu.docx": b"PK\x03\x04 not a scan",
                                       "hong.pdf": b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n"})
    good = f"HS-1,{TRAN_BIEN},{BIRTH_REGISTRATION},2020-01-06,,2020-01-07,refused,Lê Văn Bình,{cccd()},don.pdf"
    rows = [
        good,
        f"HS-2,000.99.99.H19,{BIRTH_REGISTRATION},2020-01-06,,2020-01-07,refused,Lê Bình,{cccd()},khac.pdf",
        f"HS-3,{TRAN_BIEN},9.999999,2020-01-06,,2020-01-07,refused,Lê Bình,{cccd()},khac.pdf",
        f"HS-4,{TRAN_BIEN},{BIRTH_REGISTRATION},2020-02-30,,2020-03-07,refused,Lê Bình,{cccd()},khac.pdf",
        f"HS-5,{TRAN_BIEN},{BIRTH_REGISTRATION},2020-01-06,2020-01-02,2020-01-07,refused,Lê Bình,{cccd()},khac.pdf",
        f"HS-6,{TRAN_BIEN},{BIRTH_REGISTRATION},2020-01-06,,2020-01-07,lost,Lê Bình,{cccd()},khac.pdf",
        f"HS-7,{TRAN_BIEN},{BIRTH_REGISTRATION},2020-01-06,,2020-01-07,refused,Lê Bình,{cccd()},khac.pdf;mat.pdf",
        f"HS-8,{TRAN_BIEN},{BIRTH_REGISTRATION},2020-01-06,,2020-01-07,refused,Lê Bình,{cccd()},khac.pdf;ghi-chu.docx",
        f"HS-9,{TRAN_BIEN},{BIRTH_REGISTRATION},2020-01-06,,2020-01-07,refused,Lê Bình,{cccd()},../danh-sach.csv",
        f"HS-1,{TRAN_BIEN},{BIRTH_REGISTRATION},2020-01-06,,2020-01-07,refused,Lê Văn Bình,{cccd()},khac.pdf",
        f"HS-10,{TRAN_BIEN},{BIRTH_REGISTRATION},2020-01-06,,2020-01-07,refused,Lê Bình,{cccd()},hong.pdf",
        f"HS-11,{TRAN_BIEN},{BIRTH_REGISTRATION},2020-01-06,,2020-01-07,processing,Lê Bình,{cccd()},khac.pdf",
    ]
    manifest = _manifest(tmp_path / "danh-sach.csv", EN_HEADER, rows)

    summary = _run(backends, root, manifest)

    assert (summary.imported, summary.rejected) == (1, 11)
    report = _report(manifest)
    assert [(r["row"], r["dossier_code"], r["reason_code"]) for r in report] == [
        ("3", "HS-2", "unknown_agency"), ("4", "HS-3", "unknown_procedure"), ("5", "HS-4", "bad_date"),
        ("6", "HS-5", "due_before_received"), ("7", "HS-6", "unknown_state"), ("8", "HS-7", "file_missing"),
        ("9", "HS-8", "unsupported_type"), ("10", "HS-9", "file_outside_archive"), ("11", "HS-1", "duplicate_code"),
        ("12", "HS-10", "malformed_pdf"), ("13", "HS-11", "state_not_closed")]
    assert all(r["message_vi"] and r["message_en"] for r in report)
    assert "mat.pdf" in report[5]["detail"]
    with backends.uow() as uow:
        assert [uow.dossiers.get(f"HS-{n}") is None for n in range(1, 12)] == [False] + [True] * 10
    khac = [key for key in _originals(backends) if key.endswith(_sha(root / "khac.pdf"))]
    assert len(_originals(backends)) == 1 and not khac  # only the good row's original


def _sha(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


class FailingStore:
    """The real store, which stops answering at the `fail_at`-th original written (a network drop, a full disk)."""

    def __init__(self, store: BlobStore, fail_at: int) -> None:
        self.store, self.fail_at, self.puts = store, fail_at, 0

    def put(self, key: str, stream: BinaryIO, *, sha256: str | None = None,
            content_type: str = "application/octet-stream") -> BlobInfo:
        self.puts += key.startswith("originals/")
        if self.puts == self.fail_at:
            raise BackendUnavailable(detail={"key": key})
        return self.store.put(key, stream, sha256=sha256, content_type=content_type)

    def __getattr__(self, name: str) -> object:
        return getattr(self.store, name)


def test_an_import_stopped_midway_resumes_where_it_stopped(backends: Backends, tmp_path: Path) -> None:
    """GIVEN an import whose blob store stops answering on the second file of row 4, after a row refused for a missing
    file WHEN it runs THEN it stops at row 4 with the rows before it whole and nothing of row 4 kept; WHEN the file is
    put back and the same command runs again THEN done rows are skipped and the rest, the refused row included,
    come in."""
    papers = {f"{n}.pdf": born_digital_pdf([[f"Hồ sơ lưu trữ số {n}"]]) for n in range(1, 6)}
    root = _archive(tmp_path / "kho", {k: v for k, v in papers.items() if k != "2.pdf"})
    line = f"{TRAN_BIEN},{BIRTH_REGISTRATION},2021-06-01,,2021-06-02,result_returned,Lê Bình,{cccd()}"
    manifest = _manifest(tmp_path / "m.csv", EN_HEADER, [
        f"A-1,{line},1.pdf", f"A-2,{line},2.pdf", f"A-3,{line},3.pdf;4.pdf", f"A-4,{line},5.pdf"])
    real = backends.blobs
    backends.blobs = FailingStore(real, fail_at=3)  # type: ignore[assignment]

    stopped = _run(backends, root, manifest)

    assert (stopped.imported, stopped.rejected, stopped.stopped_at) == (1, 1, 4)
    assert "backend_unavailable" in stopped.stop_reason
    with backends.uow() as uow:
        assert [uow.dossiers.get(f"A-{n}") is not None for n in range(1, 5)] == [True, False, False, False]
    assert _originals(backends) == {_key(root / "1.pdf")}  # 3.pdf, stored before 4.pdf failed, is gone again
    assert [r["reason_code"] for r in _report(manifest)] == ["file_missing"]

    backends.blobs = real
    (root / "2.pdf").write_bytes(papers["2.pdf"])
    resumed = _run(backends, root, manifest)
    assert (resumed.imported, resumed.skipped, resumed.rejected, resumed.stopped_at) == (3, 1, 0, None)
    with backends.uow() as uow:
        assert [len(uow.documents.list_for_dossier(f"A-{n}")) for n in range(1, 5)] == [1, 1, 2, 1]
    assert _originals(backends) == {_key(root / f"{n}.pdf") for n in range(1, 6)}
    assert _report(manifest) == []


def _key(path: Path) -> str:
    return f"originals/{_sha(path)[:2]}/{_sha(path)}"


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    """An embedded install of its own for the command line (SQLite, jobs run inline)."""
    saved = dict(os.environ)
    os.environ.update({"HOSO_DATA_DIR": str(tmp_path / "var"), "HOSO_TASKS": "inline", "HOSO_DATABASE_URL": "",
                       "HOSO_LOG_LEVEL": "WARNING"})
    os.environ.pop("HOSO_CELERY_BROKER_URL", None)
    try:
        yield tmp_path
    finally:
        os.environ.clear()
        os.environ.update(saved)


def test_the_command_checks_imports_reports_and_waits(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`hoso import --dry-run` writes nothing; `hoso import --wait` imports, waits for the OCR and says what it did;
    its output is plain text when it is not a terminal; the exit code says rows were rejected."""
    catalogue = Path(__file__).resolve().parents[2] / "infra" / "demo"
    assert main(["import-agencies", str(catalogue / "agencies.json")]) == 0
    assert main(["import-procedures", str(catalogue / "procedures.json")]) == 0
    root = _archive(data_dir / "kho", {"a.pdf": born_digital_pdf([["Tờ khai"]])})
    manifest = _manifest(data_dir / "m.csv", EN_HEADER, [
        f"C-1,{TRAN_BIEN},{BIRTH_REGISTRATION},2022-01-04,,2022-01-05,refused,Lê Bình,{cccd()},a.pdf",
        f"C-2,{TRAN_BIEN},{BIRTH_REGISTRATION},2022-01-04,,2022-01-05,refused,Lê Bình,{cccd()},b.pdf",
        f"C-1,{TRAN_BIEN},{BIRTH_REGISTRATION},2022-01-04,,2022-01-06,refused,Lê Bình,{cccd()},a.pdf"])
    capsys.readouterr()

    assert main(["import", str(root), "--manifest", str(manifest), "--dry-run"]) == 1
    checked = capsys.readouterr()
    assert "1 hợp lệ / valid" in checked.out and "2 bị từ chối / rejected" in checked.out
    assert [r["reason_code"] for r in _report(manifest)] == ["file_missing", "duplicate_code"]
    assert main(["import", str(root), "--manifest", str(manifest), "--dry-run"]) == 1
    assert "1 hợp lệ / valid" in capsys.readouterr().out  # still nothing written

    assert main(["import", str(root), "--manifest", str(manifest), "--wait"]) == 1
    done = capsys.readouterr()
    assert "1 đã nhập / imported" in done.out and "1 trang chờ nhận dạng / pages queued" in done.out
    assert "2 bị từ chối / rejected" in done.out
    assert "1 tài liệu đã tìm kiếm được / indexed" in done.out
    assert "━" not in done.err  # no progress bar outside a terminal
    assert [r["reason_code"] for r in _report(manifest)] == ["file_missing", "duplicate_code"]

    (root / "b.pdf").write_bytes(born_digital_pdf([["Tờ khai bổ sung"]]))
    assert main(["import", str(root), "--manifest", str(manifest)]) == 1
    assert "1 đã nhập / imported, 1 bỏ qua" in capsys.readouterr().out
    assert [(r["row"], r["reason_code"]) for r in _report(manifest)] == [("4", "duplicate_code")]
    bad = _manifest(data_dir / "bad.csv", "dossier_code,colour", ["x,red"])
    assert main(["import", str(root), "--manifest", str(bad)]) == 2
    assert "manifest_invalid" in capsys.readouterr().err
