"""Reading an archive manifest (CSV) and the scans it names, for `hoso import`.

The manifest is UTF-8 (with or without a BOM), comma-, semicolon- or tab-separated, one dossier per row. Column
names are English (`dossier_code`) or Vietnamese (`Mã hồ sơ`, with or without diacritics); see COLUMNS. Files
are paths relative to the archive folder, several per cell separated by `;` or `|`. Each file is read once here:
streamed through SHA-256 (memory does not grow with its size), identified from its bytes like an upload, and
its pages counted from its headers; nothing is copied.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path

from ingest.pages import PageLimits, inspect_document
from ingest.sniff import SNIFF_BYTES, SniffedUpload, sniff_upload
from records.dossiers import Applicant
from records.errors import DomainError, ValidationFailed
from records.past_dossiers import (
    PastDossier,
    PastFile,
    fold,
    parse_applicant_kind,
    parse_channel,
    parse_instant,
    parse_state,
    past_dossier,
    rejected,
)

CHUNK_BYTES = 1024 * 1024

# Each column: its English name, then the Vietnamese names it is also known by (compared folded).
COLUMNS: dict[str, tuple[str, ...]] = {
    "dossier_code": ("Mã hồ sơ", "Số hồ sơ"),
    "agency_code": ("Mã cơ quan", "Cơ quan tiếp nhận"),
    "procedure_code": ("Mã thủ tục", "Thủ tục"),
    "received_at": ("Ngày tiếp nhận", "Ngày nhận"),
    "due_at": ("Ngày hẹn trả",),
    "resolved_at": ("Ngày có kết quả", "Ngày giải quyết"),
    "closed_at": ("Ngày kết thúc", "Ngày trả kết quả"),
    "state": ("Trạng thái",),
    "applicant_kind": ("Loại người nộp", "Đối tượng"),
    "applicant_name": ("Người nộp", "Tên người nộp", "Chủ hồ sơ"),
    "applicant_id": ("Số giấy tờ", "Số định danh", "CCCD", "Mã số thuế"),
    "applicant_phone": ("Điện thoại", "Số điện thoại"),
    "applicant_email": ("Thư điện tử", "Email"),
    "applicant_address": ("Địa chỉ",),
    "subject": ("Trích yếu", "Nội dung"),
    "channel": ("Kênh nộp", "Hình thức nộp"),
    "files": ("Tệp", "Tệp hồ sơ", "Tài liệu"),
    "result_files": ("Tệp kết quả",),
}
REQUIRED = ("dossier_code", "agency_code", "procedure_code", "received_at", "state", "applicant_name",
            "applicant_id")
_ALIASES = {fold(alias): name for name, aliases in COLUMNS.items() for alias in (name, *aliases)}


class ManifestInvalid(DomainError):
    """The manifest as a whole cannot be read (not the fault of one row): nothing is imported."""

    code = "manifest_invalid"
    message_vi = "Không đọc được tệp danh sách hồ sơ."
    message_en = "The manifest cannot be read."


@dataclass(frozen=True)
class ManifestRow:
    number: int  # the line in a spreadsheet: the header is row 1
    values: dict[str, str]  # by English column name; missing optional columns are empty

    @property
    def dossier_code(self) -> str:
        return self.values.get("dossier_code", "").strip()


def _columns(header: list[str]) -> list[str]:
    names, unknown = [], []
    for title in header:
        name = _ALIASES.get(fold(title))
        if name is None and title.strip():
            unknown.append(title)
        names.append(name or "")
    if unknown:
        raise ManifestInvalid(f"Cột không xác định: {', '.join(unknown)}.", f"Unknown columns: {', '.join(unknown)}.",
                              detail={"unknown": unknown, "known": list(COLUMNS)})
    missing = [name for name in REQUIRED if name not in names]
    if missing:
        raise ManifestInvalid(f"Thiếu cột bắt buộc: {', '.join(missing)}.", f"Missing columns: {', '.join(missing)}.",
                              detail={"missing": missing})
    return names


def read_manifest(path: Path) -> Iterator[ManifestRow]:
    """The manifest's rows, one at a time (the file is streamed). Raises ManifestInvalid for an unreadable file,
    an unknown or a missing column; blank lines are passed over."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as stream:
            head = stream.readline()
            dialect = ";" if head.count(";") > head.count(",") else "\t" if head.count("\t") > head.count(",") else ","
            stream.seek(0)  # the utf-8-sig decoder drops the BOM again
            reader = csv.reader(stream, delimiter=dialect)
            header = next(reader, None)
            if header is None:
                raise ManifestInvalid("Tệp danh sách hồ sơ rỗng.", "The manifest is empty.")
            names = _columns(header)
            for number, cells in enumerate(reader, start=2):
                if not any(cell.strip() for cell in cells):
                    continue
                values = {name: "" for name in COLUMNS}
                values.update({name: cell for name, cell in zip(names, cells, strict=False) if name})
                yield ManifestRow(number, values)
    except UnicodeDecodeError as error:
        raise ManifestInvalid("Tệp danh sách hồ sơ không phải UTF-8.", "The manifest is not UTF-8 text.",
                              detail={"position": error.start}) from None
    except OSError as error:
        raise ManifestInvalid("Không mở được tệp danh sách hồ sơ.", "The manifest cannot be opened.",
                              detail={"path": str(path), "error": error.strerror or str(error)}) from None


def count_rows(path: Path) -> int:
    """How many rows the manifest holds (for the progress bar). Reading it all first also means that a manifest
    spoilt half-way (a byte that is not UTF-8) is refused before anything is imported: ManifestInvalid."""
    return sum(1 for _ in read_manifest(path))


def split_files(cell: str) -> list[str]:
    return [part.strip() for part in cell.replace("|", ";").replace("\n", ";").split(";") if part.strip()]


def inspect_file(root: Path, relative: str, *, is_result: bool, max_bytes: int,
                 limits: PageLimits = PageLimits()) -> PastFile:
    """The file `relative` under `root`, hashed and identified. Raises ValidationFailed with a named reason:
    outside the archive folder, missing, unreadable, too large, or refused like an upload (empty, unsupported
    or mislabelled type, malformed, encrypted, too many pages)."""
    path = (root / relative).resolve()
    if not path.is_relative_to(root.resolve()):
        raise rejected("file_outside_archive", f"Tệp '{relative}' nằm ngoài thư mục hồ sơ.",
                       f"The file '{relative}' is outside the archive folder.", file=relative)
    if not path.is_file():
        raise rejected("file_missing", f"Không tìm thấy tệp '{relative}'.", f"The file '{relative}' does not exist.",
                       file=relative)
    digest, size = hashlib.sha256(), 0
    try:
        with path.open("rb") as stream:
            head = stream.read(SNIFF_BYTES)
            sniffed = _sniffed(head, relative)
            chunk = head
            while chunk:
                size += len(chunk)
                if size > max_bytes:
                    raise rejected("file_too_large", f"Tệp '{relative}' vượt quá dung lượng cho phép.",
                                   f"The file '{relative}' is larger than allowed.", file=relative,
                                   max_bytes=max_bytes)
                digest.update(chunk)
                chunk = stream.read(CHUNK_BYTES)
    except OSError as error:
        raise rejected("file_unreadable", f"Không đọc được tệp '{relative}'.", f"Cannot read the file '{relative}'.",
                       file=relative, error=error.strerror or str(error)) from None
    try:
        pages = inspect_document(path, sniffed.kind, limits=limits, decode_images=False).page_count
    except ValidationFailed as error:
        error.detail = {**error.detail, "file": relative}
        raise
    return PastFile(path=path, relative_path=relative, sha256=digest.hexdigest(), size_bytes=size,
                    media_type=sniffed.media_type, filename=sniffed.display_name, page_count=pages,
                    is_result=is_result)


def _sniffed(head: bytes, relative: str) -> SniffedUpload:
    try:
        return sniff_upload(head, Path(relative).name)
    except ValidationFailed as error:
        error.detail = {**error.detail, "file": relative}
        raise


def _instant(row: ManifestRow, name: str, *, end_of_day: bool = True) -> datetime | None:
    text = row.values.get(name, "").strip()
    return parse_instant(text, field=name, end_of_day=end_of_day) if text else None


def parse_row(row: ManifestRow, *, root: Path, now: datetime, max_bytes: int,
              limits: PageLimits = PageLimits()) -> PastDossier:
    """The past dossier a row describes, its files read and checked. Raises ValidationFailed naming the reason."""
    values = {name: value.strip() for name, value in row.values.items()}
    for name in REQUIRED:
        if not values.get(name):
            raise rejected("missing_value", f"Thiếu giá trị ở cột {name}.", f"The {name} column is empty.", field=name)
    state = parse_state(values["state"])
    applicant = Applicant(kind=parse_applicant_kind(values["applicant_kind"]), name=values["applicant_name"],
                          id_number=values["applicant_id"], phone=values["applicant_phone"] or None,
                          email=values["applicant_email"] or None, address=values["applicant_address"] or None)
    received_at = _instant(row, "received_at", end_of_day=False)
    assert received_at is not None
    build = partial(past_dossier, code=values["dossier_code"], agency_code=values["agency_code"],
                    procedure_code=values["procedure_code"], applicant=applicant, state=state,
                    received_at=received_at, due_at=_instant(row, "due_at"),
                    resolved_at=_instant(row, "resolved_at"), closed_at=_instant(row, "closed_at"),
                    channel=parse_channel(values["channel"]), subject=values["subject"], now=now)
    build()  # dates and applicant first: a bad row is refused before its files are read
    files = tuple(inspect_file(root, relative, is_result=is_result, max_bytes=max_bytes, limits=limits)
                  for column, is_result in (("files", False), ("result_files", True))
                  for relative in split_files(row.values.get(column, "")))
    return build(files=files)
