"""Reading part of a document: the pages a chunk covers, for thumbnails and the text layer."""

from __future__ import annotations

from pathlib import Path

from ingest.pages import iter_thumbnails
from ingest.pdf_text import iter_pdf_text
from ingest.sniff import FileKind
from tests.support.papers import born_digital_pdf
from tests.support.processes import cheap_scan_pdf


def test_thumbnails_of_a_page_range_only(tmp_path: Path) -> None:
    path = tmp_path / "scan.pdf"
    path.write_bytes(cheap_scan_pdf(5))
    assert [t.number for t in iter_thumbnails(path, FileKind.PDF, pages=range(2, 4))] == [2, 3]
    assert [t.number for t in iter_thumbnails(path, FileKind.PDF, pages=range(5, 9))] == [5]


def test_the_text_layer_from_a_given_page_on(tmp_path: Path) -> None:
    path = tmp_path / "text.pdf"
    path.write_bytes(born_digital_pdf([[f"Trang số {n} của đơn đề nghị cấp giấy chứng nhận quyền sử dụng đất",
                                        "Ủy ban nhân dân phường Trấn Biên, thành phố Biên Hòa, tỉnh Đồng Nai"]
                                       for n in range(1, 5)]))
    pages = list(iter_pdf_text(path, first=3))
    assert [p.number for p in pages] == [3, 4] and "Trang số 3" in pages[0].text
