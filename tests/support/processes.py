"""Real worker processes for fault tests: started in their own process group, killed whole, and the PDFs
they read (corpus scans joined into one document, or many cheap generated pages)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from io import BytesIO
from pathlib import Path

import pikepdf
from PIL import Image, ImageDraw, ImageFont

from tests.support.papers import CORPUS


def start_worker(env: dict[str, str], *, beat: bool = True, log: Path | None = None) -> subprocess.Popen[bytes]:
    """`hoso worker` in a new session (its pool children and Tesseract share its process group)."""
    output = log.open("ab") if log is not None else subprocess.DEVNULL
    return subprocess.Popen([sys.executable, "-m", "infra.cli", "worker", *(["--beat"] if beat else [])], env=env,
                            stdout=output, stderr=subprocess.STDOUT, start_new_session=True)


def kill_group(process: subprocess.Popen[bytes]) -> None:
    """kill -9 of the process and everything in its group (a crashed machine, the OOM killer)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


def stop_group(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=30)
    kill_group(process)


def descendants(pid: int) -> set[int]:
    """Every live process below `pid` (read from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    found: set[int] = set()
    stack = [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


def alive(pid: int) -> bool:
    """Running (a zombie waiting for its parent counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def corpus_scans_pdf(names: list[str]) -> bytes:
    """One scanned document made of several corpus pages (each a full-page JPEG, read by OCR)."""
    with pikepdf.new() as joined:
        for name in names:
            with pikepdf.open(CORPUS / "ocr" / "dev" / "scans" / f"{name}.pdf") as scan:
                joined.pages.extend(scan.pages)
        buffer = BytesIO()
        joined.save(buffer)
    return buffer.getvalue()


def cheap_scan_pdf(pages: int, *, word: str = "TRANG") -> bytes:
    """A scanned document of `pages` small pages with one line each: quick for Tesseract, many for a worker."""
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 28)
    images = []
    for number in range(1, pages + 1):
        image = Image.new("L", (500, 120), 255)
        ImageDraw.Draw(image).text((20, 40), f"{word} {number}", fill=0, font=font)
        images.append(image)
    buffer = BytesIO()
    images[0].save(buffer, "PDF", save_all=True, append_images=images[1:], resolution=150)
    return buffer.getvalue()
