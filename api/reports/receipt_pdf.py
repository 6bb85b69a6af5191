"""The intake receipt as a PDF (giấy tiếp nhận hồ sơ và hẹn trả kết quả), handed to the applicant.

Modelled on Mẫu 01 of Circular 01/2018/TT-VPCP: the desk and the national header, the dossier code, the
procedure, the applicant (it is their own paper), when it was received and when the result is due, the papers
it holds, the linked dossiers of a "3 in 1" group, and — what hoso adds — where and with what to look the
dossier up: the lookup page and the receipt secret. DejaVu Sans as for the control slip.
"""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF

from api.reports.pdf_common import DEFAULT_FONT_DIR, FONT, describe_paper, font_files, local_time, national_header, nfc
from records.services.receipts import Receipt

__all__ = ["LOOKUP_PAGE_PATH", "RECEIPT_LABELS", "render_receipt_pdf"]

LOOKUP_PAGE_PATH = "/tra-cuu"

_VI: dict[str, str] = {
    "national_name": "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "national_motto": "Độc lập - Tự do - Hạnh phúc",
    "title": "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ",
    "doc_title": "Giấy tiếp nhận hồ sơ {code}",
    "code": "Mã hồ sơ",
    "procedure": "Thủ tục",
    "procedure_value": "{name} (mã {code})",
    "applicant": "Tổ chức, cá nhân nộp hồ sơ",
    "received_at": "Thời gian nhận hồ sơ",
    "due_at": "Thời gian hẹn trả kết quả",
    "extended_due_at": "Thời gian hẹn trả kết quả mới",
    "return_at": "Nhận kết quả tại",
    "papers": "Thành phần hồ sơ",
    "paper_original": "bản chính",
    "paper_copy": "bản sao",
    "paper_quantity": "{kind}, số lượng {n}",
    "no_papers": "Không có giấy tờ nào được liệt kê.",
    "linked": "Hồ sơ liên thông được tiếp nhận cùng",
    "linked_line": "{code} — {procedure} ({agency}), hẹn trả {due}",
    "lookup_heading": "TRA CỨU TÌNH TRẠNG HỒ SƠ",
    "lookup_how": "Tra cứu tại {url} bằng mã hồ sơ và mã tra cứu dưới đây (không phân biệt chữ hoa, chữ thường, "
                  "dấu gạch ngang).",
    "secret": "Mã tra cứu",
    "secret_note": "Giữ kín mã tra cứu. Nếu mất giấy này, đề nghị Bộ phận Một cửa cấp lại; mã cũ sẽ hết hiệu lực.",
    "issued": "Người tiếp nhận: {name} — cấp lúc {at}",
    "dash": "—",
}

_EN: dict[str, str] = {
    "national_name": "SOCIALIST REPUBLIC OF VIETNAM",
    "national_motto": "Independence - Freedom - Happiness",
    "title": "DOSSIER RECEIPT AND APPOINTMENT FOR THE RESULT",
    "doc_title": "Dossier receipt {code}",
    "code": "Dossier code",
    "procedure": "Procedure",
    "procedure_value": "{name} (code {code})",
    "applicant": "Applicant",
    "received_at": "Received at",
    "due_at": "Result due (appointment)",
    "extended_due_at": "New appointment date",
    "return_at": "Collect the result at",
    "papers": "Papers in the dossier",
    "paper_original": "original",
    "paper_copy": "copy",
    "paper_quantity": "{kind}, {n} piece(s)",
    "no_papers": "No papers are listed.",
    "linked": "Linked dossiers received with it",
    "linked_line": "{code} — {procedure} ({agency}), due {due}",
    "lookup_heading": "LOOK YOUR DOSSIER UP",
    "lookup_how": "At {url}, with the dossier code and the secret below (upper or lower case, dashes or not).",
    "secret": "Secret",
    "secret_note": "Keep the secret to yourself. If you lose this paper, ask the one-stop desk for a new one; the old "
                   "secret then stops working.",
    "issued": "Received by {name} — issued {at}",
    "dash": "—",
}

RECEIPT_LABELS: dict[str, dict[str, str]] = {"vi": _VI, "en": _EN}


def render_receipt_pdf(receipt: Receipt, *, lookup_url: str, language: str = "vi",
                       font_dir: Path | None = None) -> bytes:
    """The receipt as an A4 PDF. `lookup_url`: the lookup page as the applicant reaches it (…/tra-cuu).
    Raises ValueError for an unknown language, RuntimeError without the font."""
    if language not in RECEIPT_LABELS:
        raise ValueError(f"Unknown language {language!r}; expected one of {sorted(RECEIPT_LABELS)}")
    labels = RECEIPT_LABELS[language]
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    describe_paper(pdf, font_files(font_dir or DEFAULT_FONT_DIR),
                   title=labels["doc_title"].format(code=receipt.dossier.code), language=language,
                   created_at=receipt.issued_at)
    pdf.set_margins(20, 15, 20)
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    national_header(pdf, receipt.agency_name, labels)
    _particulars(pdf, receipt, labels)
    _papers(pdf, receipt, labels)
    if receipt.linked:
        _linked(pdf, receipt, labels)
    _lookup(pdf, receipt, labels, lookup_url)
    pdf.ln(6)
    pdf.set_font(FONT, "", 9)
    pdf.multi_cell(0, 5, nfc(labels["issued"].format(name=receipt.issued_by_name,
                                                     at=local_time(receipt.issued_at))),
                   new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _field(pdf: FPDF, label: str, value: str) -> None:
    pdf.set_font(FONT, "B", 10)
    pdf.write(6, f"{label}: ")
    pdf.set_font(FONT, "", 10)
    pdf.write(6, nfc(value))
    pdf.ln(6)


def _particulars(pdf: FPDF, receipt: Receipt, labels: dict[str, str]) -> None:
    dossier, procedure = receipt.dossier, receipt.procedure
    _field(pdf, labels["code"], dossier.code)
    _field(pdf, labels["procedure"], labels["procedure_value"].format(name=procedure.name, code=procedure.code))
    _field(pdf, labels["applicant"], dossier.applicant.name)
    _field(pdf, labels["received_at"], local_time(dossier.received_at))
    _field(pdf, labels["due_at"], local_time(dossier.due_at) or labels["dash"])
    if dossier.extended_due_at is not None:
        _field(pdf, labels["extended_due_at"], local_time(dossier.extended_due_at))
    _field(pdf, labels["return_at"], receipt.agency_name)
    pdf.ln(2)


def _heading(pdf: FPDF, text: str) -> None:
    pdf.set_font(FONT, "B", 10)
    pdf.multi_cell(0, 6, nfc(text), new_x="LMARGIN", new_y="NEXT")


def _papers(pdf: FPDF, receipt: Receipt, labels: dict[str, str]) -> None:
    _heading(pdf, f"{labels['papers']}:")
    pdf.set_font(FONT, "", 10)
    if not receipt.procedure.required_papers:
        pdf.multi_cell(0, 5.5, labels["no_papers"], new_x="LMARGIN", new_y="NEXT")
    for number, paper in enumerate(receipt.procedure.required_papers, start=1):
        kind = labels["paper_original"] if paper.original else labels["paper_copy"]
        quantity = labels["paper_quantity"].format(kind=kind, n=paper.quantity)
        pdf.multi_cell(0, 5.5, nfc(f"{number}. {paper.name} ({quantity})"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)


def _linked(pdf: FPDF, receipt: Receipt, labels: dict[str, str]) -> None:
    _heading(pdf, f"{labels['linked']}:")
    pdf.set_font(FONT, "", 10)
    for line in receipt.linked:
        text = labels["linked_line"].format(code=line.code, procedure=line.procedure_name, agency=line.agency_name,
                                            due=local_time(line.due_at) or labels["dash"])
        pdf.multi_cell(0, 5.5, nfc(f"- {text}"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)


def _lookup(pdf: FPDF, receipt: Receipt, labels: dict[str, str], lookup_url: str) -> None:
    if pdf.will_page_break(60):  # the lookup box stays on one page
        pdf.add_page()
    pdf.ln(2)
    top = pdf.get_y()
    pdf.set_x(pdf.l_margin + 3)
    _heading(pdf, labels["lookup_heading"])
    pdf.set_font(FONT, "", 10)
    pdf.set_x(pdf.l_margin + 3)
    pdf.multi_cell(pdf.epw - 6, 5.5, nfc(labels["lookup_how"].format(url=lookup_url)), new_x="LMARGIN",
                   new_y="NEXT")
    pdf.ln(1)
    pdf.set_x(pdf.l_margin + 3)
    _field(pdf, labels["code"], receipt.dossier.code)
    pdf.set_x(pdf.l_margin + 3)
    pdf.set_font(FONT, "B", 10)
    pdf.write(8, f"{labels['secret']}: ")
    pdf.set_font(FONT, "B", 16)
    pdf.write(8, receipt.secret)
    pdf.ln(9)
    pdf.set_font(FONT, "", 9)
    pdf.set_x(pdf.l_margin + 3)
    pdf.multi_cell(pdf.epw - 6, 5, nfc(labels["secret_note"]), new_x="LMARGIN", new_y="NEXT")
    pdf.rect(pdf.l_margin, top - 1, pdf.epw, pdf.get_y() - top + 3)
    pdf.ln(3)
