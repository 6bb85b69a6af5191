"""The archive's printed lists, one layout for all: the destruction list (Danh mục tài liệu hủy), the list of files
(Mục lục hồ sơ) and the list of documents in a file (Mục lục văn bản trong hồ sơ). A4 landscape, the national
heading, a numbered table that repeats its heading on every page, and the signature block."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from fpdf import FPDF
from fpdf.fonts import FontFace

from api.reports.pdf_common import DEFAULT_FONT_DIR, FONT, describe_paper, font_files, local_time, national_header, nfc

NATIONAL = {"national_name": "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "national_motto": "Độc lập - Tự do - Hạnh phúc"}


@dataclass(frozen=True)
class ArchiveList:
    agency_name: str
    title: str  # e.g. DANH MỤC TÀI LIỆU HỦY
    columns: Sequence[tuple[str, float]]  # heading, relative width
    rows: Sequence[Sequence[str]]
    intro: Sequence[str] = ()  # lines under the title
    signatures: Sequence[str] = ()  # who signs, left to right
    created_at: datetime | None = None
    notes: Sequence[str] = field(default=())


class _ListPDF(FPDF):
    def __init__(self, footer_text: str) -> None:
        super().__init__(orientation="L", unit="mm", format="A4")
        self._footer_text = footer_text

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, "", 8)
        self.cell(0, 5, nfc(f"{self._footer_text} — trang {self.page_no()}/{{nb}}"), align="R")


def render_archive_list(paper: ArchiveList, *, font_dir: Path = DEFAULT_FONT_DIR) -> bytes:
    created = paper.created_at or datetime.now().astimezone()
    pdf = _ListPDF(f"hoso — {paper.title.capitalize()} — {local_time(created)}")
    describe_paper(pdf, font_files(font_dir), title=paper.title, language="vi", created_at=created)
    pdf.alias_nb_pages()
    pdf.set_margins(12, 12, 12)
    pdf.set_auto_page_break(True, 16)
    pdf.add_page()
    national_header(pdf, paper.agency_name.upper(), {**NATIONAL, "title": nfc(paper.title)})
    pdf.set_font(FONT, "", 10)
    for line in paper.intro:
        pdf.multi_cell(0, 5, nfc(line), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    total = sum(width for _, width in paper.columns)
    widths = tuple(pdf.epw * width / total for _, width in paper.columns)
    pdf.set_font(FONT, "", 8.5)
    with pdf.table(col_widths=widths, headings_style=FontFace(emphasis="BOLD"), line_height=4.6,
                   text_align="LEFT", repeat_headings=1) as table:
        table.row([nfc(heading) for heading, _ in paper.columns])
        for values in paper.rows:
            table.row([nfc(str(v)) for v in values])
    pdf.ln(3)
    for note in paper.notes:
        pdf.multi_cell(0, 5, nfc(note), new_x="LMARGIN", new_y="NEXT")
    if paper.signatures:
        pdf.ln(6)
        pdf.set_font(FONT, "B", 10)
        width = pdf.epw / len(paper.signatures)
        for name in paper.signatures:
            pdf.cell(width, 5, nfc(name), align="C")
        pdf.ln(5)
    return bytes(pdf.output())
