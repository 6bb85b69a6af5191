"""Shared benchmark plumbing: throw-away databases, percentiles, printed tables."""

from __future__ import annotations

import os
import statistics
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from storage.provision import scratch_postgres, scratch_sqlite

# ../shared/corpus beside the repository (read-only, never copied in); HOSO_CORPUS_DIR points elsewhere.
REPOSITORY = Path(__file__).resolve().parents[1]
SHARED_CORPUS = Path(os.environ.get("HOSO_CORPUS_DIR") or REPOSITORY.parent / "shared" / "corpus")
OCR_CORPUS = Path(os.environ.get("HOSO_OCR_CORPUS") or SHARED_CORPUS / "ocr")

PG_URL = os.environ.get("HOSO_BENCH_PG_URL") or os.environ.get(
    "HOSO_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@contextmanager
def bench_database(kind: str) -> Iterator[str]:
    """A fresh, migrated database of the given kind (sqlite or postgres), dropped afterwards."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="hoso-bench-") as directory, scratch_sqlite(Path(directory)) as url:
            yield url
        return
    with scratch_postgres(PG_URL, prefix="hoso_bench") as url:
        yield url


def percentile(values: Sequence[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def print_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    cells = [[str(h) for h in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    print(f"\n{title}")
    print("| " + " | ".join(h.ljust(w) for h, w in zip(cells[0], widths, strict=True)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in cells[1:]:
        print("| " + " | ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) + " |")


def mean(values: Sequence[float]) -> float:
    return statistics.fmean(values) if values else float("nan")
