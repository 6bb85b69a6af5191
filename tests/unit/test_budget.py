"""The processing budget's own parts: tool runs held to their memory and CPU limits, bombs counted without
being held in memory, and the document's CPU meter."""

from __future__ import annotations

import io
import sys
import time
import tracemalloc
import zlib

import pikepdf
import pytest

from ingest.budget import (
    BudgetCpu,
    BudgetMemory,
    BudgetStreamBytes,
    CpuMeter,
    ProcessingBudget,
    check_cpu,
    check_pdf_streams,
    metered,
    run_tool,
)

MiB = 1024**2


def test_a_tool_that_wants_more_memory_than_its_limit_stops_with_budget_memory() -> None:
    """GIVEN a 256 MB limit WHEN a tool asks for 1 GB THEN it cannot have it and the run says budget_memory."""
    with pytest.raises(BudgetMemory) as caught:
        run_tool([sys.executable, "-c", "block = bytearray(1024**3)"], timeout=30, memory_bytes=256 * MiB)
    assert caught.value.detail["limit_bytes"] == 256 * MiB
    finished = run_tool([sys.executable, "-c", "block = bytearray(16 * 1024**2)"], timeout=30,
                        memory_bytes=256 * MiB)
    assert finished.returncode == 0  # a tool within its limit runs as usual


def test_a_tool_that_spins_is_stopped_at_the_documents_cpu_time_left() -> None:
    """GIVEN a document with about one CPU second left WHEN a tool spins for ever THEN it is stopped by
    RLIMIT_CPU (not the 60 s timeout) and the run says budget_cpu."""
    started = time.monotonic()
    with metered(CpuMeter(1.0)), pytest.raises(BudgetCpu):
        run_tool([sys.executable, "-c", "while True: pass"], timeout=60, memory_bytes=None)
    assert time.monotonic() - started < 30


def test_the_cpu_meter_counts_this_threads_work_and_says_when_it_is_spent() -> None:
    meter = CpuMeter(0.2)
    with metered(meter):
        check_cpu("before")
        deadline = time.thread_time() + 0.3
        while time.thread_time() < deadline:
            pass
        with pytest.raises(BudgetCpu) as caught:
            check_cpu("page 2")
    assert caught.value.code == "budget_cpu" and caught.value.detail["where"] == "page 2"
    check_cpu("outside any document")  # no meter: nothing to check


def _pdf_with_content(data: bytes, filters: pikepdf.Object | None) -> pikepdf.Pdf:
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(595, 842))
    stream = pikepdf.Stream(pdf, data)
    if filters is not None:
        stream.Filter = filters
    pdf.pages[0].Contents = pdf.make_indirect(stream)
    out = io.BytesIO()
    pdf.save(out, compress_streams=False, stream_decode_level=pikepdf.StreamDecodeLevel.none)
    return pikepdf.open(io.BytesIO(out.getvalue()))


def test_a_flate_bomb_is_refused_after_counting_up_to_the_limit_without_holding_it() -> None:
    """GIVEN 64 MB of spaces deflated to ~64 KB WHEN checked against a 16 MB limit THEN budget_stream_bytes,
    and the check never held more than a few MB."""
    bomb = zlib.compress(b" " * (64 * MiB), 9)
    pdf = _pdf_with_content(bomb, pikepdf.Name.FlateDecode)
    tracemalloc.start()
    try:
        with pytest.raises(BudgetStreamBytes) as caught:
            check_pdf_streams(pdf, ProcessingBudget(max_stream_bytes=16 * MiB))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert caught.value.detail["reason"] == "too large"
    assert peak < 8 * MiB
    check_pdf_streams(pdf, ProcessingBudget(max_stream_bytes=128 * MiB))  # within a larger budget: fine


def test_a_stream_whose_expansion_cannot_be_bounded_under_the_limit_is_refused() -> None:
    """LZW can grow a byte ~1,400 times: 16 KB of it may be 22 MB, over a 16 MB limit; a short one is fine."""
    long = _pdf_with_content(b"\x80" * 16_384, pikepdf.Name.LZWDecode)
    with pytest.raises(BudgetStreamBytes):
        check_pdf_streams(long, ProcessingBudget(max_stream_bytes=16 * MiB))
    check_pdf_streams(_pdf_with_content(b"\x80" * 64, pikepdf.Name.LZWDecode),
                      ProcessingBudget(max_stream_bytes=16 * MiB))
