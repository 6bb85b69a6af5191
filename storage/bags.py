"""BagIt packages (RFC 8493) with the Library of Congress `bagit` package: writing a folder of files as a bag with
SHA-256 manifests and tag manifests, and opening one only once every checksum, every file and every path checks out."""

from __future__ import annotations

import io
import shutil
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

import bagit

from records.errors import ValidationFailed

CHECKSUMS = ["sha256"]
MAX_ZIP_BYTES = 8 * 1024**3
CHUNK = 1024 * 1024
Opener = Callable[[], BinaryIO]  # opens a stream to copy from (e.g. a blob in the store); the writer closes it


def invalid_bag(reason_vi: str, reason_en: str, **detail: object) -> ValidationFailed:
    return ValidationFailed(f"Gói BagIt không hợp lệ: {reason_vi}", f"The BagIt package is not valid: {reason_en}",
                            code="invalid_bag", detail=dict(detail))


def ensure_free(target: Path) -> Path:
    """Refuses (target_exists) a bag's folder that exists already: a bag is never written over anything."""
    if target.exists():
        raise ValidationFailed("Thư mục đích đã tồn tại.", "The target folder already exists.", code="target_exists",
                               detail={"target": str(target)})
    return target


def write_bag(target: Path, files: Mapping[str, Path | bytes | Opener], info: Mapping[str, str]) -> Path:
    """Writes `files` (path inside data/ → a file to copy, bytes, or a stream's opener) under `target` and makes it a
    bag with SHA-256 manifests and tag manifests. `target` must not exist yet (a half-written bag is removed)."""
    ensure_free(target)
    target.mkdir(parents=True)
    try:
        for name, source in files.items():
            path = target / PurePosixPath(name)
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(source, bytes):
                path.write_bytes(source)
            elif isinstance(source, Path):
                shutil.copyfile(source, path)
            else:
                with source() as stream, path.open("wb") as out:
                    shutil.copyfileobj(stream, out, CHUNK)
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
    """The bag at `root` once it validates in full (every checksum recomputed). ValidationFailed (invalid_bag) says
    which problem it found (`detail.problem`: path_outside, unreadable, missing_file, unlisted_file, checksum,
    no_sha256) and names the files."""
    try:
        bag = bagit.Bag(str(root))
    except bagit.BagError as exc:
        if "unsafe" in str(exc):
            raise invalid_bag("có đường dẫn ra ngoài gói.", "a path leads outside the bag.", problem="path_outside",
                              problems=[str(exc)]) from exc
        raise invalid_bag("không đọc được gói (thiếu hoặc sai tệp khai báo).",
                          "it cannot be read (a missing or wrong declaration file).", problem="unreadable",
                          problems=[str(exc)]) from exc
    if "sha256" not in bag.algorithms:
        raise invalid_bag("gói không có bảng SHA-256.", "the bag has no SHA-256 manifest.", problem="no_sha256")
    listed = {str(PurePosixPath(name)) for name in bag.payload_entries()}
    present = {str(PurePosixPath(name)) for name in bag.payload_files()}
    missing_tags = {str(PurePosixPath(name)) for name in bag.tagfile_entries() if not (Path(root) / name).is_file()}
    missing = sorted((listed - present) | missing_tags)
    if missing:
        raise invalid_bag(f"thiếu tệp {', '.join(missing[:5])}.", f"files are missing: {', '.join(missing[:5])}.",
                          problem="missing_file", files=missing[:50])
    unlisted = sorted(present - listed)
    if unlisted:
        raise invalid_bag(f"có tệp không khai báo {', '.join(unlisted[:5])}.",
                          f"files are not in the manifest: {', '.join(unlisted[:5])}.", problem="unlisted_file",
                          files=unlisted[:50])
    try:
        bag.validate(processes=1)
    except bagit.BagValidationError as exc:
        wrong = sorted(str(d.path) for d in exc.details if isinstance(d, bagit.ChecksumMismatch))
        raise invalid_bag(f"tổng kiểm tra (SHA-256) sai ở {', '.join(wrong[:5]) or 'gói'}.",
                          f"a checksum (SHA-256) is wrong: {', '.join(wrong[:5]) or str(exc)}.", problem="checksum",
                          files=wrong[:50], problems=[str(d) for d in exc.details][:20] or [str(exc)]) from exc
    except bagit.BagError as exc:
        raise invalid_bag("không đọc được gói.", "it cannot be read.", problem="unreadable",
                          problems=[str(exc)]) from exc
    return OpenedBag(Path(root), {k: str(v) for k, v in bag.info.items()})


def zip_bag(root: Path, target: Path, *, top: str | None = None) -> Path:
    """One zip file of the bag (for a download), its top folder named `top` (default: the bag's folder name)."""
    top_folder = PurePosixPath(_safe_name(top or root.name))
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(root.rglob("*")):
            if path.is_file():
                archive.write(path, (top_folder / path.relative_to(root).as_posix()).as_posix())
    return target


class _Sink(io.RawIOBase):
    """Where a streamed zip is written; what arrived since the last `take` is handed on."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        return data


def stream_zip(root: Path, *, top: str | None = None) -> Iterator[bytes]:
    """The bag as a zip, made while it is sent (no zip file on disk; memory bounded by one chunk), its top folder
    named `top` (default: the bag's folder name)."""
    top_folder = PurePosixPath(_safe_name(top or root.name))
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(root.rglob("*")):
            if not path.is_file():
                continue
            name = (top_folder / path.relative_to(root).as_posix()).as_posix()
            with path.open("rb") as source, archive.open(name, "w", force_zip64=True) as target:
                while chunk := source.read(CHUNK):
                    target.write(chunk)
                    if data := sink.take():
                        yield data
            if data := sink.take():
                yield data
    if data := sink.take():
        yield data


def unzip_bag(archive_path: Path, target: Path) -> Path:
    """Extracts an uploaded zipped bag safely (no path may leave `target`, bounded size); returns the bag's root."""
    try:
        with zipfile.ZipFile(archive_path) as archive:
            members = archive.infolist()
            if sum(m.file_size for m in members) > MAX_ZIP_BYTES:
                raise invalid_bag("gói quá lớn.", "the package is too large.", problem="too_large")
            for member in members:
                name = PurePosixPath(member.filename)
                if name.is_absolute() or ".." in name.parts:
                    raise invalid_bag("có đường dẫn ra ngoài gói.", "a path leaves the package.",
                                      problem="path_outside", path=member.filename)
            archive.extractall(target)
    except zipfile.BadZipFile as exc:
        raise invalid_bag("tệp không phải ZIP.", "the file is not a ZIP archive.", problem="not_zip") from exc
    target.mkdir(parents=True, exist_ok=True)  # an empty archive extracts nothing: refused below, not a crash
    tops = [p for p in target.iterdir()]
    root = tops[0] if len(tops) == 1 and tops[0].is_dir() else target
    if not (root / "bagit.txt").is_file():
        raise invalid_bag("không tìm thấy bagit.txt.", "bagit.txt is missing.", problem="missing_file",
                          files=["bagit.txt"])
    return root


def _safe_name(name: str) -> str:
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in name).strip(".") or "bag"
