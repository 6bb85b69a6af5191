"""What the printed papers share: DejaVu Sans (it covers Vietnamese), Vietnam time, composed letters."""

from __future__ import annotations

import unicodedata
from datetime import datetime
from pathlib import Path

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
