"""A document's processing budget: what one upload may cost the worker, checked the same way at upload and
while processing, and the limits put on the tools (Tesseract, pdftoppm, Ghostscript) that do the work.

The budget (`ProcessingBudget`, from the `HOSO_BUDGET_*` settings):
- pages (`budget_pages`), pixels of one image or page (`budget_pixels`), decoded bytes of all images of a
  document (`budget_image_bytes`): read from headers and page dictionaries, nothing decoded;
- decoded bytes of one PDF stream and of all of them (`budget_stream_bytes`): Flate streams are inflated
  chunk by chunk, counting and throwing the output away, and stop at the limit (a decompression bomb costs
  at most the limit's worth of inflating, never its memory);
- CPU seconds of the whole document, the worker's own thread and the tools it runs (`budget_cpu`): a base
  plus an allowance per page, checked between pages; every tool run is also capped by RLIMIT_CPU at the
  time left and by a wall-clock timeout;
- memory of every tool run (RLIMIT_AS): a tool over it cannot allocate and stops (`budget_memory`).

Upload validation (`ingest.staging`) applies the header and stream checks, so whatever is accepted at upload
never fails later for its size; what only processing can find out (CPU spent, a tool running out of memory,
an encrypted or damaged file) ends the document `failed` with the reason, and retry is possible.
"""

from __future__ import annotations

import base64
import binascii
import math
import os
import re
import resource
import signal
import subprocess
import time
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

import pikepdf
from PIL import Image

from records.errors import ValidationFailed

MiB = 1024**2


@dataclass(frozen=True)
class ProcessingBudget:
    """What one document may cost. Also the page limits of `ingest.pages` (`PageLimits` is this class)."""

    max_pages: int = 2_000
    max_page_side_pt: float = 14_400.0  # 200 in, 5.08 m: also the largest page PDF readers support
    max_page_pixels: int = 150_000_000  # one image, scanned page or embedded image (A0 at 300 dpi is 139 Mpx)
    max_page_side_px: int = 65_000  # one side of an image or page (JPEG, which keeps OCR'd scans, stops at 65,535)
    max_render_pixels: int = 100_000_000  # a rendered page; the dpi drops to fit (A1 at 300 dpi is 70 Mpx)
    max_image_bytes: int = 64 * 1024**3  # decoded bytes of every image of the document together
    max_stream_bytes: int = 256 * MiB  # one PDF stream (content, font, ...), decoded
    max_streams_bytes: int = 2 * 1024**3  # all of a PDF's non-image streams, decoded
    cpu_seconds_base: float = 120.0
    cpu_seconds_per_page: float = 30.0
    tool_memory_bytes: int = 2 * 1024**3  # RLIMIT_AS of each Tesseract / renderer run
    render_timeout_s: float = 120.0  # wall clock of one tool run (RLIMIT_CPU is the same or less)

    def cpu_seconds(self, pages: int) -> float:
        return self.cpu_seconds_base + self.cpu_seconds_per_page * max(1, pages)


class BudgetCpu(ValidationFailed):
    code = "budget_cpu"
    message_vi = "Xử lý tài liệu vượt quá thời gian CPU cho phép; tài liệu có thể quá phức tạp."
    message_en = "Processing the document took more CPU time than allowed; it may be too complex."


class BudgetMemory(ValidationFailed):
    code = "budget_memory"
    message_vi = "Xử lý một trang vượt quá bộ nhớ cho phép."
    message_en = "Processing a page needed more memory than allowed."


class BudgetStreamBytes(ValidationFailed):
    code = "budget_stream_bytes"
    message_vi = "Tệp PDF chứa dữ liệu nén giải ra quá lớn (có thể là 'bom giải nén')."
    message_en = "The PDF holds compressed data that inflates beyond the limit (a possible decompression bomb)."


class BudgetImageBytes(ValidationFailed):
    code = "budget_image_bytes"
    message_vi = "Tổng dung lượng ảnh của tài liệu sau khi giải nén vượt quá giới hạn."
    message_en = "The document's images together decode to more bytes than allowed."


# -- CPU ----------------------------------------------------------------------------------------------
def _cpu_now() -> float:
    """CPU seconds of this thread plus those of the finished tool runs of this process."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.thread_time() + children.ru_utime + children.ru_stime


class CpuMeter:
    """CPU seconds one document may still spend; `check` raises BudgetCpu once they are gone."""

    def __init__(self, limit_seconds: float, *, already_spent: float = 0.0) -> None:
        self.limit_seconds = limit_seconds
        self._start = _cpu_now() - already_spent

    @classmethod
    def for_document(cls, budget: ProcessingBudget, *, already_spent: float = 0.0) -> CpuMeter:
        """A meter allowing one page's worth until `allow_pages` says how many the document has."""
        meter = cls(budget.cpu_seconds(1), already_spent=already_spent)
        meter.budget = budget
        return meter

    budget: ProcessingBudget | None = None

    def allow_pages(self, pages: int) -> None:
        if self.budget is not None:
            self.limit_seconds = self.budget.cpu_seconds(pages)

    @property
    def spent(self) -> float:
        return _cpu_now() - self._start

    @property
    def remaining(self) -> float:
        return self.limit_seconds - self.spent

    def check(self, where: str = "") -> None:
        if self.remaining <= 0:
            raise BudgetCpu(detail={"spent_seconds": round(self.spent, 1), "limit_seconds": self.limit_seconds,
                                    "where": where})


_meter: ContextVar[CpuMeter | None] = ContextVar("hoso_cpu_meter", default=None)


@contextmanager
def metered(meter: CpuMeter) -> Iterator[CpuMeter]:
    """Makes `meter` the one tool runs (`run_tool`) and `check_cpu` charge, for the duration of the block."""
    token = _meter.set(meter)
    try:
        yield meter
    finally:
        _meter.reset(token)


def check_cpu(where: str = "") -> None:
    """BudgetCpu when the current document's meter (if any) is spent; cheap, call it between pages."""
    meter = _meter.get()
    if meter is not None:
        meter.check(where)


# -- tool runs ----------------------------------------------------------------------------------------
def _limits(memory_bytes: int | None, cpu_seconds: int | None) -> Callable[[], None]:
    def apply() -> None:  # runs in the child between fork and exec: only setrlimit calls
        if memory_bytes:
            resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
        if cpu_seconds:
            resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    return apply


_OUT_OF_MEMORY = re.compile(rb"out of memory|bad_alloc|cannot allocate|memory allocation|malloc|MemoryError",
                            re.IGNORECASE)


def run_tool(command: Sequence[str], *, timeout: float, memory_bytes: int | None,
             env: dict[str, str] | None = None, capture_stdout: bool = False) -> subprocess.CompletedProcess[bytes]:
    """Runs a tool with RLIMIT_AS = `memory_bytes`, RLIMIT_CPU = `timeout` or the current document's CPU
    time left if less, and a wall-clock `timeout` (for a tool that hangs without spending CPU). Returns the
    finished process whatever its exit status; raises BudgetCpu (CPU limit or timeout), BudgetMemory (it could
    not allocate), FileNotFoundError."""
    meter = _meter.get()
    cpu = timeout if meter is None else min(timeout, meter.remaining)
    if cpu <= 0:
        raise BudgetCpu(detail={"limit_seconds": meter.limit_seconds if meter else timeout, "where": command[0]})
    detail = {"tool": os.path.basename(command[0]), "limit_seconds": round(cpu, 1)}
    try:
        # preexec_fn only calls setrlimit between fork and exec (the worker runs one task per process)
        finished = subprocess.run(list(command), env=env, check=False, timeout=timeout,
                                  stdout=subprocess.PIPE if capture_stdout else subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, preexec_fn=_limits(memory_bytes, math.ceil(cpu)))
    except subprocess.TimeoutExpired as error:
        raise BudgetCpu(detail={**detail, "reason": "timed out"}) from error
    if finished.returncode in (-signal.SIGXCPU, -signal.SIGKILL):
        raise BudgetCpu(detail={**detail, "reason": f"stopped by signal {-finished.returncode}"})
    if finished.returncode != 0 and memory_bytes and (
            _OUT_OF_MEMORY.search(finished.stderr or b"") or finished.returncode in (-signal.SIGABRT, -signal.SIGSEGV)):
        raise BudgetMemory(detail={"tool": detail["tool"], "limit_bytes": memory_bytes,
                                   "reason": (finished.stderr or b"").decode("utf-8", "replace")[-200:]})
    return finished


# -- in-process decoding ------------------------------------------------------------------------------
def configure_pillow(budget: ProcessingBudget) -> None:
    """Pillow's own bomb check (an error past 2 × MAX_IMAGE_PIXELS) at the budget's pixel limit, a backstop
    behind the header checks, for every image any code of this process decodes."""
    Image.MAX_IMAGE_PIXELS = max(1, budget.max_page_pixels // 2)


_COMPONENTS = {"/DeviceGray": 1, "/CalGray": 1, "/DeviceRGB": 3, "/CalRGB": 3, "/Lab": 3, "/DeviceCMYK": 4}


def image_bytes(width: int, height: int, stream: pikepdf.Object | None = None) -> int:
    """Decoded bytes of an image of this size (a PDF image XObject's colour space and depth when given;
    otherwise assumed RGB, 8 bits)."""
    components, bits = 3, 8
    if isinstance(stream, pikepdf.Stream):
        space = stream.get("/ColorSpace")
        components = _COMPONENTS.get(str(space), 4) if isinstance(space, pikepdf.Name) else 4
        try:
            bits = int(stream.get("/BitsPerComponent", 8))
        except (TypeError, ValueError):
            bits = 8
        if bool(stream.get("/ImageMask", False)):
            components, bits = 1, 1
    return math.ceil(width * components * max(1, min(bits, 16)) / 8) * height


def _filters(stream: pikepdf.Stream) -> list[str]:
    declared = stream.get("/Filter")
    if declared is None:
        return []
    return [str(name) for name in declared] if isinstance(declared, pikepdf.Array) else [str(declared)]


_EXPANSION = {"/ASCIIHexDecode": 0.5, "/AHx": 0.5, "/ASCII85Decode": 0.8, "/A85": 0.8, "/RunLengthDecode": 128.0,
              "/RL": 128.0, "/LZWDecode": 1400.0, "/LZW": 1400.0}  # the most one raw byte can become


def _inflated_bytes(data: bytes, limit: int) -> int:
    """Bytes `data` inflates to, counted chunk by chunk (nothing kept), stopping just past `limit`."""
    inflater = zlib.decompressobj()
    total = 0
    try:
        while data and total <= limit:
            total += len(inflater.decompress(data, MiB))
            data = inflater.unconsumed_tail
            if inflater.eof:
                break
    except zlib.error:
        pass  # damaged data: counted as far as it goes; the readers stop there too
    return total


def _decoded_size(stream: pikepdf.Stream, limit: int) -> int | None:
    """The stream's decoded size (past `limit`: some number over it), or None when it cannot be bounded."""
    filters = _filters(stream)
    try:
        raw_length = int(stream.get("/Length", 0))
    except (TypeError, ValueError):
        raw_length = 0
    if not filters or raw_length > limit:  # (a raw stream over the limit is refused unread)
        return raw_length
    if filters[-1] in ("/FlateDecode", "/Fl") and all(f in _EXPANSION for f in filters[:-1]):
        data = stream.read_raw_bytes()
        for name in filters[:-1]:  # ASCII armour before the Flate data: decoding it only shrinks it
            try:
                data = (base64.a85decode(data.strip().removesuffix(b"~>"), adobe=False)
                        if "85" in name else binascii.unhexlify(re.sub(rb"\s|>", b"", data)))
            except (ValueError, binascii.Error):
                return 0
        return _inflated_bytes(data, limit)
    if all(f in _EXPANSION for f in filters):
        return math.ceil(raw_length * math.prod(_EXPANSION[f] for f in filters))
    return None


def check_pdf_streams(pdf: pikepdf.Pdf, budget: ProcessingBudget) -> None:
    """BudgetStreamBytes when a non-image stream decodes to more than `max_stream_bytes` (or cannot be
    bounded), or all of them to more than `max_streams_bytes`; BudgetImageBytes when the images' decoded
    sizes (from their dictionaries) add up to more than `max_image_bytes`. Inflates Flate data without
    keeping it; everything else from dictionaries. Safe to repeat."""
    streams_total = images_total = 0
    for number, stream in enumerate(pdf.objects):
        if not isinstance(stream, pikepdf.Stream):
            continue
        if stream.get("/Subtype") == pikepdf.Name.Image:
            try:
                images_total += image_bytes(int(stream.get("/Width", 0)), int(stream.get("/Height", 0)), stream)
            except (TypeError, ValueError):
                continue  # the page checks name a broken image
            if images_total > budget.max_image_bytes:
                raise BudgetImageBytes(detail={"limit_bytes": budget.max_image_bytes})
            continue
        size = _decoded_size(stream, budget.max_stream_bytes)
        if size is None or size > budget.max_stream_bytes:
            raise BudgetStreamBytes(detail={"object": number, "filters": _filters(stream),
                                            "limit_bytes": budget.max_stream_bytes,
                                            "reason": "cannot be bounded" if size is None else "too large"})
        streams_total += size
        if streams_total > budget.max_streams_bytes:
            raise BudgetStreamBytes(detail={"limit_bytes": budget.max_streams_bytes, "reason": "all streams"})
