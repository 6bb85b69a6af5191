"""BagIt packages (RFC 8493) with the Library of Congress `bagit` package: writing a folder of files as a bag with
SHA-256 manifests and tag manifests, and opening one only once every checksum, every file and every path checks out."""

from __future__ import annotations

import shutil
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import bagit

from records.errors import ValidationFailed

CHECKSUMS = ["sha256"]
MAX_ZIP_BYTES = 8 * 1024**3


def invalid_bag(reason_vi: str, reason_en: str, **detail: object) -> ValidationFailed:
    return ValidationFailed(f"Gói BagIt không hợp lệ: {reason_vi}", f"The BagIt package is not valid: {reason_en}",
                            code="invalid_bag", detail=dict(detail))


def write_bag(target: Path, files: Mapping[str, Path | bytes], info: Mapping[str, str]) -> Path:
    """Writes `files` (path inside data/ → a file to copy, or bytes) under `target` and makes it a bag. `target` must
    not exist yet (a half-written bag is removed)."""
    if target.exists():
        raise ValidationFailed("Thư mục đích đã tồn tại.", "The target folder already exists.", code="target_exists",
                               detail={"target": str(target)})
    target.mkdir(parents=True)
    try:
        for name, source in files.items():
            path = target / PurePosixPath(name)
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(source, bytes):
                path.write_bytes(source)
            else:
                shutil.copyfile(source, path)
        bagit.make_bag(str(target), dict(info), checksums=CHECKSUMS)
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise
    return target


@dataclass(frozen=True)
class OpenedBag:
    root: Path
    info: dict[str, str]

    def data(self, name: str) -> Path:
        return self.root / "data" / PurePosixPath(name)

    def files(self, prefix: str) -> list[str]:
        base = self.root / "data" / prefix
        if not base.is_dir():
            return []
        return sorted(p.relative_to(self.root / "data").as_posix() for p in base.rglob("*") if p.is_file())


def open_bag(root: Path) -> OpenedBag:
    """The bag at `root` once it validates in full (every checksum recomputed); ValidationFailed (invalid_bag) names
    what is wrong: a wrong checksum, a missing or unlisted file, a path outside the bag."""
    try:
        bag = bagit.Bag(str(root))
        bag.validate(processes=1)
    except bagit.BagValidationError as exc:
        details = [str(d) for d in exc.details][:20]
        raise invalid_bag("tổng kiểm tra sai, thiếu tệp hoặc tệp lạ.", "a checksum is wrong, or a file is missing or "
                          "unlisted.", problems=details or [str(exc)]) from exc
    except bagit.BagError as exc:
        raise invalid_bag("không đọc được gói (đường dẫn ra ngoài gói hoặc thiếu tệp khai báo).",
                          "it cannot be read (a path outside the bag, or a missing declaration).",
                          problems=[str(exc)]) from exc
    if "sha256" not in bag.algorithms:
        raise invalid_bag("gói không có bảng SHA-256.", "the bag has no SHA-256 manifest.")
    return OpenedBag(Path(root), {k: str(v) for k, v in bag.info.items()})


def zip_bag(root: Path, target: Path) -> Path:
    """One zip file of the bag (for a download), its top folder named after the bag."""
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(root.rglob("*")):
            if path.is_file():
                archive.write(path, (PurePosixPath(root.name) / path.relative_to(root).as_posix()).as_posix())
    return target


def unzip_bag(archive_path: Path, target: Path) -> Path:
    """Extracts an uploaded zipped bag safely (no path may leave `target`, bounded size); returns the bag's root."""
    try:
        with zipfile.ZipFile(archive_path) as archive:
            members = archive.infolist()
            if sum(m.file_size for m in members) > MAX_ZIP_BYTES:
                raise invalid_bag("gói quá lớn.", "the package is too large.")
            for member in members:
                name = PurePosixPath(member.filename)
                if name.is_absolute() or ".." in name.parts:
                    raise invalid_bag("có đường dẫn ra ngoài gói.", "a path leaves the package.", path=member.filename)
            archive.extractall(target)
    except zipfile.BadZipFile as exc:
        raise invalid_bag("tệp không phải ZIP.", "the file is not a ZIP archive.") from exc
    target.mkdir(parents=True, exist_ok=True)  # an empty archive extracts nothing: refused below, not a crash
    tops = [p for p in target.iterdir()]
    root = tops[0] if len(tops) == 1 and tops[0].is_dir() else target
    if not (root / "bagit.txt").is_file():
        raise invalid_bag("không tìm thấy bagit.txt.", "bagit.txt is missing.")
    return root
