"""What the printed papers share: DejaVu Sans (it covers Vietnamese), Vietnam time, composed letters."""

from __future__ import annotations

import unicodedata
from datetime import datetime
from pathlib import Path

from fpdf import FPDF

from records.clock import VN_TZ

DEFAULT_FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONT_PACKAGE = "fonts-dejavu-core"
FONT = "DejaVu"
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}


def font_files(font_dir: Path) -> dict[str, Path]:
    """Style ("" or "B") → font file. Raises RuntimeError, naming the package to install, when one is missing."""
    paths = {style: font_dir / name for style, name in FONT_FILES.items()}
    missing = [str(path) for path in paths.values() if not path.is_file()]
    if missing:
        raise RuntimeError(
            f"DejaVu Sans font not found ({', '.join(missing)}). Install the Debian package "
            f"{FONT_PACKAGE} (apt-get install {FONT_PACKAGE}) or pass font_dir= to a folder holding "
            f"{' and '.join(FONT_FILES.values())}."
        )
    return paths


def local_time(at: datetime | None) -> str:
    """dd/mm/yyyy HH:MM in Vietnam time (UTC+7); a naive datetime is taken to be Vietnam time already."""
    if at is None:
        return ""
    local = at.astimezone(VN_TZ) if at.tzinfo is not None else at
    return local.strftime("%d/%m/%Y %H:%M")


def nfc(text: str) -> str:
    """Composed forms: DejaVu has a glyph for every precomposed Vietnamese letter, not for stacked marks."""
    return unicodedata.normalize("NFC", text)


def describe_paper(pdf: FPDF, fonts: dict[str, Path], *, title: str, language: str, created_at: datetime) -> None:
    """Fonts (DejaVu, regular and bold) and the document's metadata: its title, creator, language, date."""
    for style, path in fonts.items():
        pdf.add_font(FONT, style, str(path))
    pdf.set_title(title)
    pdf.set_creator("hoso")
    pdf.set_lang(language)
    pdf.set_creation_date(created_at)


def national_header(pdf: FPDF, agency_name: str, labels: dict[str, str]) -> None:
    """The heading of an administrative paper: the agency on the left, the national name and motto on the
    right, then the paper's title (`labels`: national_name, national_motto, title)."""
    top, left_w, right_w = pdf.get_y(), pdf.epw * 0.42, pdf.epw * 0.55
    pdf.set_font(FONT, "B", 10)
    pdf.multi_cell(left_w, 5, nfc(agency_name), align="C", new_x="LMARGIN", new_y="NEXT")
    left_bottom = pdf.get_y()
    right_x = pdf.l_margin + pdf.epw - right_w
    pdf.set_xy(right_x, top)
    pdf.multi_cell(right_w, 5, labels["national_name"], align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_x(right_x)
    pdf.set_font(FONT, "BU", 10)
    pdf.multi_cell(right_w, 5, labels["national_motto"], align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(max(left_bottom, pdf.get_y()) + 8)
    pdf.set_font(FONT, "B", 13)
    pdf.multi_cell(0, 7, labels["title"], align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
