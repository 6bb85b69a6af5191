"""The metadata of Decree 30/2020/NĐ-CP Appendix VI as XML: a file (hồ sơ) with its documents (văn bản) in
chronological order. Used by export packages and the single-file export."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any
from xml.etree import ElementTree as ET


@dataclass(frozen=True)
class DocumentEntry:
    doc_ordinal: int
    type_name: str
    code_number: str
    code_notation: str
    issued_date: date | None
    organ_name: str
    subject: str
    page_amount: int | None
    signer_position: str = ""
    signer_full_name: str = ""
    description: str = ""
    language: str = "Tiếng Việt"
    sha256: str = ""
    file_name: str = ""


@dataclass(frozen=True)
class FileMetadata:
    organ_id: str
    file_catalog: int
    file_notation: str
    title: str
    maintenance: str
    rights: str
    creator: str
    start_date: date | None
    end_date: date | None
    language: str = "Tiếng Việt"
    description: str = ""
    documents: list[DocumentEntry] = field(default_factory=list)

    @property
    def file_code(self) -> str:
        return f"{self.organ_id}.{self.file_catalog}.{self.file_notation}"

    @property
    def doc_total(self) -> int:
        return len(self.documents)

    @property
    def page_total(self) -> int:
        return sum(d.page_amount or 0 for d in self.documents)


def _text(parent: ET.Element, tag: str, value: Any) -> None:
    ET.SubElement(parent, tag).text = "" if value is None else (value.isoformat() if isinstance(value, date)
                                                                else str(value))


def file_xml(meta: FileMetadata) -> bytes:
    root = ET.Element("HoSo", {"xmlns": "urn:vn:gov:nghidinh30:2020:phuluc-vi", "Generator": "hoso"})
    for tag, value in (("FileCode", meta.file_code), ("OrganId", meta.organ_id), ("FileCatalog", meta.file_catalog),
                       ("FileNotation", meta.file_notation), ("Title", meta.title), ("Maintenance", meta.maintenance),
                       ("Rights", meta.rights), ("Creator", meta.creator), ("Language", meta.language),
                       ("StartDate", meta.start_date), ("EndDate", meta.end_date), ("DocTotal", meta.doc_total),
                       ("PageTotal", meta.page_total), ("Description", meta.description)):
        _text(root, tag, value)
    documents = ET.SubElement(root, "VanBan")
    for d in sorted(meta.documents, key=lambda d: d.doc_ordinal):
        doc = ET.SubElement(documents, "TaiLieu")
        for tag, value in (("DocOrdinal", d.doc_ordinal), ("TypeName", d.type_name), ("CodeNumber", d.code_number),
                           ("CodeNotation", d.code_notation), ("IssuedDate", d.issued_date),
                           ("OrganName", d.organ_name), ("Subject", d.subject), ("Language", d.language),
                           ("PageAmount", d.page_amount)):
            _text(doc, tag, value)
        signer = ET.SubElement(doc, "SignerInfo")
        _text(signer, "Position", d.signer_position)
        _text(signer, "FullName", d.signer_full_name)
        _text(doc, "Description", d.description)
        _text(doc, "FileName", d.file_name)
        _text(doc, "SHA256", d.sha256)
    ET.indent(root)
    xml: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return xml
