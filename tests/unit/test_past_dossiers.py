"""Reading an archive manifest and judging its rows: no database, no files but the ones made here."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image

from ingest.manifest import ManifestInvalid, ManifestRow, count_rows, parse_row, read_manifest
from records.clock import VN_TZ
from records.dossiers import ApplicantKind, DossierState
from records.errors import ValidationFailed
from records.past_dossiers import parse_instant, parse_state
from tests.support.papers import born_digital_pdf

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def test_vietnamese_headers_with_a_bom_and_semicolons_are_read(tmp_path: Path) -> None:
    manifest = tmp_path / "ds.csv"
    manifest.write_bytes("\ufeffMã hồ sơ;Mã cơ quan;Mã thủ tục;Ngay tiep nhan;Trạng thái;Người nộp;Số giấy tờ;Tệp\n"
                         "HS-1;000.60.01.H19;1.001193;15/03/2019;Đã rút hồ sơ;Lê Văn Bình;123456789;a.pdf | b.pdf\n"
                         "\n".encode())
    rows = list(read_manifest(manifest))
    assert [(r.number, r.dossier_code, r.values["state"], r.values["files"]) for r in rows] == [
        (2, "HS-1", "Đã rút hồ sơ", "a.pdf | b.pdf")]


@pytest.mark.parametrize(("content", "code"), [
    ("dossier_code,agency_code,colour\n", "manifest_invalid"),  # an unknown column
    ("dossier_code,agency_code\n", "manifest_invalid"),  # required columns missing
])
def test_a_manifest_with_unknown_or_missing_columns_is_refused_whole(tmp_path: Path, content: str,
                                                                     code: str) -> None:
    manifest = tmp_path / "m.csv"
    manifest.write_text(content, encoding="utf-8")
    with pytest.raises(ManifestInvalid) as caught:
        list(read_manifest(manifest))
    assert caught.value.code == code


@pytest.mark.parametrize("content", [
    b"M\xe3 h\xf4 s\xf4,Tr\xe1ng th\xe1i\n",  # a legacy 8-bit export
    "Mã hồ sơ;Mã cơ quan;Mã thủ tục;Ngày tiếp nhận;Trạng thái;Người nộp;Số giấy tờ\nHS-1;A;B;C;D;E;F\n".encode()
    + b"HS-2;A;B;C;D;L\xea V\xe3n;F\n",  # spoilt on its third line
])
def test_a_manifest_that_is_not_utf8_is_refused_before_any_row_is_read(tmp_path: Path, content: bytes) -> None:
    manifest = tmp_path / "m.csv"
    manifest.write_bytes(content)
    with pytest.raises(ManifestInvalid):
        count_rows(manifest)


def test_dates_are_read_day_first_or_iso_in_vietnam_time() -> None:
    assert parse_instant("15/03/2019", field="received_at", end_of_day=False) == datetime(2019, 3, 15, 8, tzinfo=VN_TZ)
    assert parse_instant("2019-03-15", field="closed_at", end_of_day=True) == datetime(2019, 3, 15, 17, tzinfo=VN_TZ)
    assert parse_instant("15/03/2019 14:30", field="x", end_of_day=True) == datetime(2019, 3, 15, 14, 30,
                                                                                     tzinfo=VN_TZ)
    assert parse_instant("2019-03-15T07:30:00+00:00", field="x", end_of_day=True) == datetime(2019, 3, 15, 7, 30,
                                                                                              tzinfo=UTC)
    with pytest.raises(ValidationFailed) as caught:
        parse_instant("03/15/2019", field="received_at", end_of_day=False)  # month-first is not a Vietnamese date
    assert caught.value.code == "bad_date"


def test_states_are_known_by_code_or_vietnamese_name_and_must_be_closed() -> None:
    assert parse_state("Đã trả kết quả") is parse_state("result_returned") is DossierState.RESULT_RETURNED
    assert parse_state("DA CO KET QUA") is DossierState.RESOLVED
    for text, code in (("Đang giải quyết", "state_not_closed"), ("lost", "unknown_state")):
        with pytest.raises(ValidationFailed) as caught:
            parse_state(text)
        assert caught.value.code == code


def _row(**values: str) -> ManifestRow:
    base = {"dossier_code": "HS-1", "agency_code": "000.60.01.H19", "procedure_code": "1.001193",
            "received_at": "2019-03-15", "closed_at": "2019-03-20", "state": "refused", "applicant_name": "Lê Bình",
            "applicant_id": "075085000001", "files": "a.pdf"}
    return ManifestRow(7, {**dict.fromkeys(["due_at", "resolved_at", "applicant_kind", "applicant_phone",
                                            "applicant_email", "applicant_address", "subject", "channel",
                                            "result_files"], ""), **base, **values})


@pytest.mark.parametrize(("values", "code"), [
    ({"received_at": "2019-03-15", "due_at": "2019-03-14"}, "due_before_received"),
    ({"closed_at": "2019-03-01"}, "closed_before_received"),
    ({"closed_at": ""}, "closed_date_required"),
    ({"closed_at": "2031-01-01"}, "date_in_future"),
    ({"state": "withdrawn", "resolved_at": "2019-03-18"}, "resolved_without_result"),
    ({"applicant_id": "12345"}, "invalid_id_number"),
    ({"applicant_kind": "tổ chức", "applicant_id": "075085000001"}, "invalid_id_number"),
    ({"dossier_code": "HS 1"}, "bad_dossier_code"),
    ({"applicant_name": ""}, "missing_value"),
    ({"channel": "fax"}, "unknown_channel"),
    ({"files": "a.pdf; a.pdf"}, "duplicate_file"),
    ({"files": "b.pdf"}, "type_mismatch"),  # a PNG named .pdf
    ({"files": "empty.pdf"}, "empty_file"),
])
def test_a_row_that_does_not_hold_together_is_refused_with_its_reason(tmp_path: Path, values: dict[str, str],
                                                                      code: str) -> None:
    (tmp_path / "a.pdf").write_bytes(born_digital_pdf([["Đơn"]]))
    png = io.BytesIO()
    Image.new("L", (8, 8), 255).save(png, format="PNG")
    (tmp_path / "b.pdf").write_bytes(png.getvalue())  # a real PNG, under a PDF's name
    (tmp_path / "empty.pdf").write_bytes(b"")
    with pytest.raises(ValidationFailed) as caught:
        parse_row(_row(**values), root=tmp_path, now=NOW, max_bytes=10**8)
    assert caught.value.code == code


def test_a_good_row_keeps_its_facts_and_its_fingerprint_follows_the_files(tmp_path: Path) -> None:
    (tmp_path / "a.pdf").write_bytes(born_digital_pdf([["Đơn"], ["Trang 2"]]))
    (tmp_path / "c.pdf").write_bytes(born_digital_pdf([["Giấy chứng nhận"]]))
    past = parse_row(_row(state="Đã trả kết quả", applicant_id="123456789", result_files="c.pdf"), root=tmp_path,
                     now=NOW, max_bytes=10**8)
    assert (past.state, past.applicant.kind, past.pages) == (DossierState.RESULT_RETURNED, ApplicantKind.PERSON, 3)
    assert [(f.relative_path, f.is_result, f.page_count) for f in past.files] == [("a.pdf", False, 2),
                                                                                   ("c.pdf", True, 1)]
    again = parse_row(_row(state="result_returned", applicant_id="123456789", result_files="c.pdf"), root=tmp_path,
                      now=NOW, max_bytes=10**8)
    assert again.fingerprint() == past.fingerprint()
    (tmp_path / "c.pdf").write_bytes(born_digital_pdf([["Giấy chứng nhận (bản khác)"]]))
    changed = parse_row(_row(state="result_returned", applicant_id="123456789", result_files="c.pdf"), root=tmp_path,
                        now=NOW, max_bytes=10**8)
    assert changed.fingerprint() != past.fingerprint()
