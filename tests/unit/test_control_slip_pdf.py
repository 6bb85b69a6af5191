"""The control slip PDF, read back the way a user (or a screen reader) would see it."""

from __future__ import annotations

import io
import unicodedata
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader

from api.reports.control_slip_pdf import render_control_slip_pdf
from records.agencies import AgencyLevel
from records.dossiers import (
    Applicant,
    ApplicantKind,
    Channel,
    Dossier,
    DossierEvent,
    DossierState,
    ExtensionLetter,
    Handover,
    Party,
    Timeliness,
)
from records.procedures import RECEIVING, Procedure, RouteStep
from records.services.reports import ControlSlip

COMMUNE = "000.31.27.H19"
LAND_OFFICE = "000.00.02.H19"
COMMUNE_NAME = "Ủy ban nhân dân xã Tân Hạnh, thành phố Biên Hòa"
LAND_OFFICE_NAME = "Văn phòng Đăng ký đất đai tỉnh Đồng Nai"
CODE = "000.31.27.H19-240304-0001"
EXTENSION_REASON = "Văn phòng Đăng ký đất đai cần xác minh thực địa ranh giới thửa đất số 125"
S = DossierState


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """An instant in March 2024 given in Vietnam time (UTC+7)."""
    return datetime(2024, 3, day, hour, minute, tzinfo=UTC) - timedelta(hours=7)


def handover(from_agency: str, from_party: Party, to_agency: str, to_party: Party, *, started: datetime,
             due: datetime, allowed: float, used: float, verdict: Timeliness) -> Handover:
    return Handover(from_agency, from_party, to_agency, to_party, started, due, allowed, used, verdict)


def event(when: datetime, before: DossierState | None, after: DossierState, who: tuple[str, str, str], *,
          note: str = "", target: str | None = None, hand: Handover | None = None) -> DossierEvent:
    username, name, agency = who
    return DossierEvent(when, before, after, username, name, agency, note, target, hand)


DESK = ("hong.nt", "Nguyễn Thị Hồng", COMMUNE)
LAND_CLERK = ("duc.tv", "Trần Văn Đức", COMMUNE)
REGISTRAR = ("lan.pt", "Phạm Thị Lan", LAND_OFFICE)


def land_events() -> list[DossierEvent]:
    due = at(25, 17)
    return [
        event(at(4, 8, 30), None, S.NEW, DESK),
        event(at(4, 8, 30), S.NEW, S.RECEIVED, DESK),
        event(at(4, 15), S.RECEIVED, S.PROCESSING, DESK,
              hand=handover(COMMUNE, Party.RECEPTION, COMMUNE, Party.PROCESSING, started=at(4, 8, 30),
                            due=at(6, 8, 30), allowed=2, used=0.5, verdict=Timeliness.EARLY)),
        event(at(6, 10), S.PROCESSING, S.TRANSFERRED, LAND_CLERK, target=LAND_OFFICE,
              note="Chuyển Văn phòng Đăng ký đất đai thẩm định hồ sơ, đo đạc chỉnh lý bản đồ địa chính",
              hand=handover(COMMUNE, Party.PROCESSING, LAND_OFFICE, Party.IN_TRANSIT, started=at(4, 15),
                            due=at(6, 17), allowed=1.5, used=1.5, verdict=Timeliness.ON_TIME)),
        event(at(7, 9), S.TRANSFERRED, S.PROCESSING, REGISTRAR),
        event(at(19, 16), S.PROCESSING, S.TRANSFERRED, REGISTRAR, target=COMMUNE,
              note="Trả kết quả thẩm định",
              hand=handover(LAND_OFFICE, Party.PROCESSING, COMMUNE, Party.IN_TRANSIT, started=at(6, 10),
                            due=at(15, 10), allowed=7, used=8.5, verdict=Timeliness.LATE)),
        event(at(20, 8), S.TRANSFERRED, S.PROCESSING, LAND_CLERK),
        event(at(25, 9), S.PROCESSING, S.RESOLVED, LAND_CLERK,
              hand=handover(COMMUNE, Party.PROCESSING, COMMUNE, Party.RECEPTION, started=at(19, 16),
                            due=due, allowed=3.13, used=2.5, verdict=Timeliness.ON_TIME)),
        event(at(26, 14), S.RESOLVED, S.RESULT_RETURNED, DESK, note="Công dân nhận kết quả trực tiếp",
              hand=handover(COMMUNE, Party.RECEPTION, COMMUNE, Party.APPLICANT, started=at(4, 8, 30),
                            due=due, allowed=15, used=14.5, verdict=Timeliness.ON_TIME)),
    ]


def land_slip(events: list[DossierEvent] | None = None, *,
              names: dict[str, str] | None = None) -> ControlSlip:
    procedure = Procedure(
        code="1.004227",
        name="Đăng ký biến động quyền sử dụng đất, quyền sở hữu tài sản gắn liền với đất",
        field="Đất đai",
        level=AgencyLevel.COMMUNE,
        processing_days=15,
        route=(RouteStep(RECEIVING, 3), RouteStep(LAND_OFFICE, 10), RouteStep(RECEIVING, 2)),
    )
    dossier = Dossier(
        code=CODE,
        procedure_code=procedure.code,
        receiving_agency_code=COMMUNE,
        applicant=Applicant(ApplicantKind.PERSON, "Lê Văn Thắng", "075088001234"),
        channel=Channel.COUNTER,
        received_at=at(4, 8, 30),
        state=S.RESULT_RETURNED,
        holder_agency_code=COMMUNE,
        holder_party=Party.APPLICANT,
        due_at=at(25, 17),
        extended_due_at=at(29, 17),
        resolved_at=at(25, 9),
        completed_at=at(26, 14),
    )
    letter = ExtensionLetter(EXTENSION_REASON, at(29, 17), at(20, 10), "duc.tv", "Trần Văn Đức")
    agency_names = {COMMUNE: COMMUNE_NAME, LAND_OFFICE: LAND_OFFICE_NAME} | (names or {})
    return ControlSlip(dossier, procedure, agency_names, land_events() if events is None else events,
                       [letter], generated_at=at(27, 10, 5), overdue_days=0.0)


def pages_text(pdf: bytes) -> list[str]:
    """Each page's text with runs of whitespace (line wraps) collapsed to one space."""
    reader = PdfReader(io.BytesIO(pdf))
    return [" ".join(page.extract_text().split()) for page in reader.pages]


def test_slip_shows_the_dossier_its_moves_and_the_apology_letter() -> None:
    pdf = render_control_slip_pdf(land_slip())

    assert pdf.startswith(b"%PDF-")
    pages = pages_text(pdf)
    text = " ".join(pages)
    assert unicodedata.is_normalized("NFC", text)
    for expected in (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ",
        CODE,
        COMMUNE_NAME,
        LAND_OFFICE_NAME,
        "Đăng ký biến động quyền sử dụng đất",
        "1.004227",
        "Lê Văn Thắng",
        "075088001234",
        "Thời gian nhận hồ sơ: 04/03/2024 08:30",  # Vietnam time, not UTC
        "Thời gian hẹn trả kết quả: 25/03/2024 17:00",
        "29/03/2024 17:00",
        "Đã trả kết quả",
        "Trần Văn Đức",
        "Trước hạn",
        "Đúng hạn",
        "Quá hạn",
        "7 / 8,5",
        EXTENSION_REASON,
        "In lúc 27/03/2024 10:05",
        f"Trang 1/{len(pages)}",
    ):
        assert expected in text, expected
    assert text.count("Quá hạn") == 1
    assert "Số ngày quá hạn" not in text


def test_decomposed_names_come_out_composed() -> None:
    decomposed = unicodedata.normalize("NFD", LAND_OFFICE_NAME)
    assert decomposed != LAND_OFFICE_NAME

    text = " ".join(pages_text(render_control_slip_pdf(land_slip(names={LAND_OFFICE: decomposed}))))

    assert LAND_OFFICE_NAME in text


def test_metadata_names_the_slip_and_the_creator() -> None:
    reader = PdfReader(io.BytesIO(render_control_slip_pdf(land_slip())))

    assert reader.metadata is not None
    assert reader.metadata.title == f"Phiếu kiểm soát {CODE}"
    assert reader.metadata.creator == "hoso"
    assert reader.pages[0].mediabox.width == pytest.approx(595.28, abs=0.1)  # A4 in points


def test_overdue_days_are_shown_when_the_dossier_is_late() -> None:
    slip = land_slip()
    open_dossier = replace(slip.dossier, state=S.PROCESSING, resolved_at=None, completed_at=None)
    late = replace(slip, dossier=open_dossier, overdue_days=2.5)

    text = " ".join(pages_text(render_control_slip_pdf(late)))

    assert "Trạng thái hiện tại: Đang giải quyết" in text
    assert "Số ngày quá hạn: 2,5 ngày làm việc" in text


def test_a_long_history_spans_pages_with_numbers_and_repeated_headings() -> None:
    events = [
        event(at(4, 8) + timedelta(hours=3 * i), S.PROCESSING, S.TRANSFERRED, REGISTRAR, target=COMMUNE,
              note=f"Lần chuyển thứ {i + 1}: bổ sung trích đo địa chính và ý kiến của {LAND_OFFICE_NAME}",
              hand=handover(LAND_OFFICE, Party.PROCESSING, COMMUNE, Party.IN_TRANSIT, started=at(4, 8),
                            due=at(6, 8), allowed=2, used=1, verdict=Timeliness.EARLY))
        for i in range(60)
    ]

    pages = pages_text(render_control_slip_pdf(land_slip(events)))

    assert len(pages) > 1
    for number, text in enumerate(pages, start=1):
        assert f"Trang {number}/{len(pages)}" in text
        assert "Bên giao" in text and "Bên nhận" in text  # the table's heading row on every page
    assert "Lần chuyển thứ 60:" in pages[-1] or "Lần chuyển thứ 60:" in pages[-2]


def test_english_labels() -> None:
    text = " ".join(pages_text(render_control_slip_pdf(land_slip(), language="en")))

    for expected in ("SOCIALIST REPUBLIC OF VIETNAM", "PROCESSING CONTROL SLIP", "Late", "Early", "On time",
                     "Result returned", "One-stop desk", "Page 1/", COMMUNE_NAME):
        assert expected in text, expected
    assert "Quá hạn" not in text and "Trang" not in text


def test_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="fr"):
        render_control_slip_pdf(land_slip(), language="fr")


def test_missing_font_names_the_debian_package(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="fonts-dejavu-core"):
        render_control_slip_pdf(land_slip(), font_dir=tmp_path / "no-fonts")


def test_a_note_taller_than_a_page_goes_on_in_continuation_rows() -> None:
    note = " ".join(f"ý{i}" for i in range(900))
    slip = land_slip([event(at(4, 9), S.PROCESSING, S.STOPPED, REGISTRAR, note=note)])

    text = " ".join(pages_text(render_control_slip_pdf(slip)))

    assert all(f"ý{i} " in text for i in (0, 450, 898)) and "ý899" in text
