"""The processing control slip as a PDF (phiếu kiểm soát quá trình giải quyết hồ sơ).

Mẫu 02 of Circular 01/2018/TT-VPCP, implementing Decree 61/2018/ND-CP: a national header, the dossier's
particulars, one table row per move (who gave it to whom, when, within or past the allowed working days)
and the apology letters that set a new appointment date. Rendered with fpdf2 in DejaVu Sans, which covers
Vietnamese; the font comes from Debian's `fonts-dejavu-core` package unless `font_dir` says otherwise.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from fpdf import FPDF
from fpdf.fonts import FontFace

from api.reports.pdf_common import DEFAULT_FONT_DIR, FONT, describe_paper, font_files, local_time, national_header, nfc
from records.dossiers import DossierEvent, ExtensionLetter, Party
from records.services.reports import ControlSlip

__all__ = ["DEFAULT_FONT_DIR", "LABELS", "render_control_slip_pdf"]

_VI: dict[str, str] = {
    "national_name": "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "national_motto": "Độc lập - Tự do - Hạnh phúc",
    "title": "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ",
    "doc_title": "Phiếu kiểm soát {code}",
    "code": "Mã hồ sơ",
    "procedure": "Thủ tục",
    "procedure_value": "{name} (mã {code})",
    "applicant": "Tổ chức, cá nhân nộp hồ sơ",
    "id_number": "Số định danh",
    "channel": "Hình thức nộp",
    "received_at": "Thời gian nhận hồ sơ",
    "due_at": "Thời gian hẹn trả kết quả",
    "extended_due_at": "Thời gian hẹn trả kết quả mới (gia hạn)",
    "state": "Trạng thái hiện tại",
    "overdue": "Số ngày quá hạn",
    "working_days": "ngày làm việc",
    "events_heading": "QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ",
    "no_events": "Chưa có bước xử lý nào.",
    "col.time": "Thời gian", "col.from": "Bên giao", "col.to": "Bên nhận", "col.officer": "Người thực hiện",
    "col.change": "Trạng thái", "col.days": "Ngày giao / đã dùng", "col.result": "Kết quả",
    "col.note": "Ghi chú",
    "extensions_heading": "THƯ XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ",
    "ext.issued_at": "Ngày phát hành", "ext.reason": "Lý do chậm trễ",
    "ext.new_due_at": "Ngày hẹn trả mới", "ext.officer": "Người ký",
    "page": "Trang",
    "generated": "In lúc",
    "decimal": ",",
    "state.new": "Mới nộp, chờ tiếp nhận", "state.received": "Đã tiếp nhận",
    "state.refused": "Từ chối giải quyết", "state.processing": "Đang giải quyết",
    "state.supplement_requested": "Yêu cầu bổ sung",
    "state.awaiting_fees": "Chờ thực hiện nghĩa vụ tài chính",
    "state.transferred": "Chuyển liên thông", "state.withdrawn": "Đã rút hồ sơ",
    "state.stopped": "Dừng giải quyết", "state.resolved": "Đã có kết quả",
    "state.result_returned": "Đã trả kết quả",
    "party.applicant": "Tổ chức, cá nhân", "party.reception": "Bộ phận Một cửa",
    "party.processing": "Bộ phận giải quyết", "party.in_transit": "chờ tiếp nhận",
    "timeliness.early": "Trước hạn", "timeliness.on_time": "Đúng hạn", "timeliness.late": "Quá hạn",
    "channel.counter": "Trực tiếp", "channel.online": "Trực tuyến", "channel.post": "Qua dịch vụ bưu chính",
}

_EN: dict[str, str] = {
    "national_name": "SOCIALIST REPUBLIC OF VIETNAM",
    "national_motto": "Independence - Freedom - Happiness",
    "title": "PROCESSING CONTROL SLIP",
    "doc_title": "Processing control slip {code}",
    "code": "Dossier code",
    "procedure": "Procedure",
    "procedure_value": "{name} (code {code})",
    "applicant": "Applicant",
    "id_number": "ID number",
    "channel": "Submitted",
    "received_at": "Received at",
    "due_at": "Appointment date",
    "extended_due_at": "New appointment date (extension)",
    "state": "Current state",
    "overdue": "Days overdue",
    "working_days": "working days",
    "events_heading": "PROCESSING HISTORY",
    "no_events": "No processing steps yet.",
    "col.time": "Time", "col.from": "From", "col.to": "To", "col.officer": "Officer",
    "col.change": "State", "col.days": "Days allowed / used", "col.result": "Result", "col.note": "Note",
    "extensions_heading": "APOLOGY LETTERS AND NEW APPOINTMENT DATES",
    "ext.issued_at": "Issued", "ext.reason": "Reason for the delay",
    "ext.new_due_at": "New appointment date", "ext.officer": "Signed by",
    "page": "Page",
    "generated": "Printed",
    "decimal": ".",
    "state.new": "Submitted, awaiting intake", "state.received": "Received",
    "state.refused": "Refused", "state.processing": "Processing",
    "state.supplement_requested": "Supplement requested", "state.awaiting_fees": "Awaiting fees",
    "state.transferred": "Transferred", "state.withdrawn": "Withdrawn",
    "state.stopped": "Stopped", "state.resolved": "Resolved",
    "state.result_returned": "Result returned",
    "party.applicant": "Applicant", "party.reception": "One-stop desk",
    "party.processing": "Processing unit", "party.in_transit": "awaiting acceptance",
    "timeliness.early": "Early", "timeliness.on_time": "On time", "timeliness.late": "Late",
    "channel.counter": "At the counter", "channel.online": "Online", "channel.post": "By post",
}

LABELS: dict[str, dict[str, str]] = {"vi": _VI, "en": _EN}

_EVENT_COLUMNS = ("time", "from", "to", "officer", "change", "days", "result", "note")
_EVENT_WIDTHS = (19, 28, 28, 19, 24, 16, 16, 30)  # mm, 180 in all: A4 less 15 mm margins
_EVENT_ALIGN = ("C", "L", "L", "L", "L", "C", "C", "L")
_EXTENSION_COLUMNS = ("issued_at", "reason", "new_due_at", "officer")
_EXTENSION_WIDTHS = (25, 100, 25, 30)
_EXTENSION_ALIGN = ("C", "L", "C", "L")
_CHUNK_CHARS, _CHUNK_LINES = 400, 12  # a cell's share of one row: a third of a page at most
_HEADINGS_STYLE = FontFace(emphasis="BOLD", fill_color=(225, 225, 225))


class _SlipPDF(FPDF):  # type: ignore[misc, unused-ignore]  # FPDF is Any where fpdf2 has no hints
    def __init__(self, footer_left: str, page_label: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self._footer_left = footer_left
        self._page_label = page_label

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, "", 8)
        self.cell(self.epw / 2, 5, self._footer_left, align="L")
        self.cell(self.epw / 2, 5, f"{self._page_label} {self.page_no()}/{{nb}}", align="R")


def render_control_slip_pdf(slip: ControlSlip, *, language: str = "vi",
                            font_dir: Path | None = None) -> bytes:
    """The slip as an A4 PDF. Raises ValueError for an unknown language, RuntimeError without the font."""
    labels = _labels(language)
    fonts = font_files(font_dir or DEFAULT_FONT_DIR)
    pdf = _new_document(slip, labels, language, fonts)
    national_header(pdf, slip.agency_name(slip.dossier.receiving_agency_code), labels)
    _particulars(pdf, slip, labels)
    _events_table(pdf, slip, labels)
    if slip.extensions:
        _extensions_table(pdf, slip.extensions, labels)
    return bytes(pdf.output())


def _labels(language: str) -> dict[str, str]:
    try:
        return LABELS[language]
    except KeyError:
        raise ValueError(f"Unknown language {language!r}; expected one of {sorted(LABELS)}") from None


def _new_document(slip: ControlSlip, labels: dict[str, str], language: str,
                  fonts: dict[str, Path]) -> _SlipPDF:
    pdf = _SlipPDF(f"{labels['generated']} {local_time(slip.generated_at)}", labels["page"])
    describe_paper(pdf, fonts, title=labels["doc_title"].format(code=nfc(slip.dossier.code)), language=language,
                   created_at=slip.generated_at)
    pdf.set_margins(15, 12, 15)
    pdf.set_auto_page_break(True, margin=18)
    pdf.add_page()
    return pdf


def _particulars(pdf: _SlipPDF, slip: ControlSlip, labels: dict[str, str]) -> None:
    dossier, procedure = slip.dossier, slip.procedure
    rows = [
        ("code", dossier.code),
        ("procedure", labels["procedure_value"].format(name=procedure.name, code=procedure.code)),
        ("applicant", dossier.applicant.name),
        ("id_number", dossier.applicant.id_number),
        ("channel", labels[f"channel.{dossier.channel.value}"]),
        ("received_at", local_time(dossier.received_at)),
        ("due_at", local_time(dossier.due_at)),
    ]
    if dossier.extended_due_at is not None:
        rows.append(("extended_due_at", local_time(dossier.extended_due_at)))
    rows.append(("state", labels[f"state.{dossier.state.value}"]))
    if slip.overdue_days > 0:
        rows.append(("overdue", f"{_days(slip.overdue_days, labels)} {labels['working_days']}"))
    for key, value in rows:
        _field(pdf, labels[key], value)
    pdf.ln(3)


def _field(pdf: _SlipPDF, label: str, value: str) -> None:
    pdf.set_font(FONT, "B", 10)
    pdf.write(5.5, f"{label}: ")
    pdf.set_font(FONT, "", 10)
    pdf.write(5.5, nfc(value))
    pdf.ln(5.5)


def _section_heading(pdf: _SlipPDF, text: str) -> None:
    if pdf.will_page_break(30):  # keep a heading with the first rows of its table
        pdf.add_page()
    pdf.set_font(FONT, "B", 10)
    pdf.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)


def _table(pdf: _SlipPDF, widths: tuple[int, ...], align: tuple[str, ...] | str,
           header: list[str], rows: list[list[str]]) -> None:
    pdf.set_font(FONT, "", 7.5)
    with pdf.table(col_widths=widths, width=sum(widths), line_height=pdf.font_size * 1.35,
                   text_align=align, headings_style=_HEADINGS_STYLE, padding=1, v_align="TOP",
                   repeat_headings=1) as table:
        table.row(header)
        for cells in rows:
            for part in _split_tall_row([nfc(text) for text in cells]):
                table.row(part)


def _split_tall_row(cells: list[str]) -> list[list[str]]:
    """A row too tall for one page (fpdf2 refuses those) goes on in continuation rows, a chunk per cell."""
    chunks = [_chunks(text) for text in cells]
    return [[c[i] if i < len(c) else "" for c in chunks] for i in range(max(map(len, chunks)))]


def _chunks(text: str) -> list[str]:
    pieces = [p for line in text.splitlines() for p in textwrap.wrap(line, _CHUNK_CHARS) or [""]]
    chunks: list[list[str]] = [[]]
    for piece in pieces:
        if len(chunks[-1]) >= _CHUNK_LINES or sum(map(len, chunks[-1])) + len(piece) > _CHUNK_CHARS:
            chunks.append([])
        chunks[-1].append(piece)
    return ["\n".join(chunk) for chunk in chunks]


def _events_table(pdf: _SlipPDF, slip: ControlSlip, labels: dict[str, str]) -> None:
    _section_heading(pdf, labels["events_heading"])
    if not slip.events:
        pdf.set_font(FONT, "", 9)
        pdf.multi_cell(0, 5, labels["no_events"], new_x="LMARGIN", new_y="NEXT")
        return
    header = [labels[f"col.{column}"] for column in _EVENT_COLUMNS]
    _table(pdf, _EVENT_WIDTHS, _EVENT_ALIGN, header, [_event_cells(slip, e, labels) for e in slip.events])


def _event_cells(slip: ControlSlip, event: DossierEvent, labels: dict[str, str]) -> list[str]:
    handover = event.handover
    if handover is None:
        giver, taker = slip.agency_name(event.actor_agency_code), slip.agency_name(event.target_agency_code)
        days = result = ""
    else:
        giver = _holder(slip, handover.from_agency_code, handover.from_party, labels)
        taker = _holder(slip, handover.to_agency_code, handover.to_party, labels)
        days = f"{_days(handover.allowed_days, labels)} / {_days(handover.used_days, labels)}"
        result = labels[f"timeliness.{handover.timeliness.value}"]
    change = labels[f"state.{event.to_state.value}"]
    if event.from_state is not None:
        change = f"{labels[f'state.{event.from_state.value}']} → {change}"
    officer = event.actor_name or event.actor_username
    return [local_time(event.at), giver, taker, officer, change, days, result, event.note]


def _holder(slip: ControlSlip, agency_code: str, party: Party, labels: dict[str, str]) -> str:
    if party is Party.APPLICANT:
        return labels["party.applicant"]
    return f"{slip.agency_name(agency_code)} ({labels[f'party.{party.value}']})"


def _extensions_table(pdf: _SlipPDF, letters: list[ExtensionLetter], labels: dict[str, str]) -> None:
    pdf.ln(4)
    _section_heading(pdf, labels["extensions_heading"])
    header = [labels[f"ext.{column}"] for column in _EXTENSION_COLUMNS]
    rows = [[local_time(letter.issued_at), letter.reason, local_time(letter.new_due_at), letter.issued_by_name
             or letter.issued_by] for letter in letters]
    _table(pdf, _EXTENSION_WIDTHS, _EXTENSION_ALIGN, header, rows)


def _days(value: float, labels: dict[str, str]) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text.replace(".", labels["decimal"])
