"""Search relevance and latency on the synthetic Đồng Nai dossier corpus (../shared/corpus/search).

For each size: generate the corpus once (into --corpus-dir, outside the repository; reused when present), map
its dossiers to `DossierIndexEntry`, build the embedded tantivy index (build rate in dossiers/s), run every dev
query with its filters through `SearchIndex.query()`, and print recall@10, MRR@10 and nDCG@10 per query type
and overall (the corpus's own `score_search.score_query`), and latency percentiles, next to the targets.

    python -m bench.search [--sizes 10000,100000] [--corpus-dir /tmp/hoso-corpus] [--index-dir DIR]

The corpus documents have no page breaks; each document's text is cut into pages of about PAGE_CHARS
characters at line ends, as a scanned A4 page of such text would be. Every dossier is visible to its receiving
agency; queries run with `visible_to=None` (an administrator), so visibility filtering costs nothing here.
Latency is measured single-threaded, warm (after one untimed pass), engine and adapter only — no HTTP.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from types import ModuleType
from typing import Any

from bench.common import SHARED_CORPUS, percentile, print_table
from records.search import DossierIndexEntry, IndexedDocument, SearchFilters, SearchQuery
from search.analysis import folded_form
from search.tantivy_index import TantivyIndex

CORPUS_HOME = SHARED_CORPUS / "search"
PAGE_CHARS = 2500
BATCH = 5000
TARGET_NDCG = 0.90
TARGET_RECALL_NODIAC = 0.95
TARGET_P95_MS = 50.0
NODIAC_TYPES = ("name_nodiac", "proc_place_nodiac", "field_place_nodiac", "phrase_nodiac")
VN = timezone(timedelta(hours=7))
STATES = {"Đã trả kết quả": "result_returned", "Trả kết quả quá hạn": "result_returned",
          "Từ chối giải quyết": "refused", "Công dân rút hồ sơ": "withdrawn", "Đã hủy": "stopped",
          "Đang xử lý": "processing", "Chờ bổ sung hồ sơ": "supplement_requested"}


def _scorer() -> Callable[[list[str], set[str]], tuple[float, float, float] | None]:
    """The metric definitions of the corpus's score_search.py, imported rather than copied."""
    spec = importlib.util.spec_from_file_location("score_search", CORPUS_HOME / "score_search.py")
    assert spec is not None and spec.loader is not None
    module: ModuleType = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.score_query  # type: ignore[no-any-return]


def _label(size: int) -> str:
    return f"{size // 1000}k" if size % 1000 == 0 else str(size)


def ensure_corpus(size: int, corpus_dir: Path) -> Path:
    target = corpus_dir / f"corpus_{_label(size)}"
    if (target / "manifest.json").exists():
        return target
    print(f"generating the {_label(size)} corpus into {target} (once) …", flush=True)
    subprocess.run([sys.executable, str(CORPUS_HOME / "gen_corpus.py"), "--n", str(size), "--out", str(target)],
                   check=True)
    return target


def pages_of(text: str, page_chars: int = PAGE_CHARS) -> tuple[str, ...]:
    pages: list[str] = []
    current: list[str] = []
    length = 0
    for line in text.split("\n"):
        if current and length + len(line) > page_chars:
            pages.append("\n".join(current))
            current, length = [], 0
        current.append(line)
        length += len(line) + 1
    if current:
        pages.append("\n".join(current))
    return tuple(pages)


def _document_type(title: str) -> str:
    return "_".join(re.findall(r"[a-z0-9]+", folded_form(title))[:4])


def to_entry(dossier: dict[str, Any]) -> DossierIndexEntry:
    code = dossier["code"]
    documents = tuple(
        IndexedDocument(document_id=f"{code}/{n}", document_type=_document_type(d["title"]), title=d["title"],
                        pages=pages_of(d["text"]))
        for n, d in enumerate(dossier["documents"], start=1))
    received = datetime.combine(date.fromisoformat(dossier["received_date"]), datetime.min.time(), VN)
    return DossierIndexEntry(
        dossier_code=code, visible_to=frozenset({dossier["agency_code"]}),
        receiving_agency_code=dossier["agency_code"], agency_name=dossier["agency_name"],
        procedure_code=dossier["procedure_code"], procedure_name=dossier["procedure_name"], field=dossier["field"],
        state=STATES.get(dossier["status"], "processing"), received_at=received + timedelta(hours=8),
        applicant_name=dossier["applicant_name"], applicant_id_number=dossier["applicant_cccd"],
        applicant_address=dossier["applicant_address"], documents=documents)


def read_dossiers(corpus: Path) -> Iterator[dict[str, Any]]:
    with (corpus / "dossiers.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            yield json.loads(line)


def build(index: TantivyIndex, corpus: Path) -> tuple[int, float]:
    started = time.perf_counter()
    batch: list[DossierIndexEntry] = []
    count = 0
    for dossier in read_dossiers(corpus):
        batch.append(to_entry(dossier))
        if len(batch) == BATCH:
            index.upsert(batch)
            count += len(batch)
            batch = []
    index.upsert(batch)
    count += len(batch)
    return count, time.perf_counter() - started


def _filters(raw: dict[str, str] | None) -> SearchFilters:
    if not raw:
        return SearchFilters()
    return SearchFilters(
        agency_code=raw.get("agency_code"), procedure_code=raw.get("procedure_code"), field=raw.get("field"),
        received_from=date.fromisoformat(raw["received_from"]) if raw.get("received_from") else None,
        received_to=date.fromisoformat(raw["received_to"]) if raw.get("received_to") else None)


def run_queries(index: TantivyIndex, queries: list[dict[str, Any]]) -> tuple[dict[str, list[str]], dict[str, float]]:
    runs: dict[str, list[str]] = {}
    latencies: dict[str, float] = {}
    for q in queries:
        search = SearchQuery(text=q["query"], visible_to=None, filters=_filters(q.get("filters")), limit=10)
        started = time.perf_counter()
        results = index.query(search)
        latencies[q["qid"]] = (time.perf_counter() - started) * 1000
        runs[q["qid"]] = [hit.dossier_code for hit in results.hits]
    return runs, latencies


def score(corpus: Path, queries: list[dict[str, Any]], qrels: dict[str, list[int]],
          runs: dict[str, list[str]]) -> dict[str, tuple[int, float, float, float]]:
    score_query = _scorer()
    code_of = {d["id"]: d["code"] for d in read_dossiers(corpus)}
    per_type: dict[str, list[tuple[float, float, float]]] = defaultdict(list)
    for q in queries:
        relevant = {code_of[i] for i in qrels.get(q["qid"], []) if i in code_of}
        scored = score_query(runs.get(q["qid"], []), relevant)
        if scored is not None:
            per_type[q["type"]].append(scored)
            per_type["ALL"].append(scored)
    return {t: (len(rows), sum(r[0] for r in rows) / len(rows), sum(r[1] for r in rows) / len(rows),
                sum(r[2] for r in rows) / len(rows)) for t, rows in per_type.items()}


def _target(kind: str) -> str:
    if kind == "ALL":
        return f"nDCG ≥ {TARGET_NDCG:.2f}"
    if kind in NODIAC_TYPES:
        return f"recall ≥ {TARGET_RECALL_NODIAC:.2f}"
    return ""


def bench_size(size: int, corpus_dir: Path, index_dir: Path | None) -> None:
    corpus = ensure_corpus(size, corpus_dir)
    queries = [json.loads(line) for line in (CORPUS_HOME / "queries_dev.jsonl").read_text().splitlines() if line]
    qrels = json.loads((CORPUS_HOME / f"qrels_dev_{_label(size)}.json").read_text())
    with tempfile.TemporaryDirectory(prefix="hoso-bench-search-") as scratch:
        directory = index_dir / f"index_{_label(size)}" if index_dir else Path(scratch) / "index"
        index = TantivyIndex(directory, hold_writer=True)  # one bulk writer: no other process writes here
        if index.count() == 0:
            count, seconds = build(index, corpus)
            print(f"\n{_label(size)}: indexed {count} dossiers in {seconds:.1f} s — {count / seconds:,.0f} dossiers/s")
        else:
            print(f"\n{_label(size)}: reusing the index in {directory} ({index.count()} dossiers)")
        run_queries(index, queries)  # warm-up
        runs, latencies = run_queries(index, queries)
        index.close()
    summary = score(corpus, queries, qrels, runs)
    rows = [(kind, n, f"{r:.3f}", f"{m:.3f}", f"{g:.3f}", _target(kind))
            for kind, (n, r, m, g) in sorted(summary.items(), key=lambda item: (item[0] == "ALL", item[0]))]
    print_table(f"Relevance at {_label(size)} (dev queries)", ["type", "n", "recall@10", "MRR@10", "nDCG@10", "target"],
                rows)
    by_type: dict[str, list[float]] = defaultdict(list)
    for q in queries:
        by_type[q["type"]].append(latencies[q["qid"]])
        by_type["ALL"].append(latencies[q["qid"]])
    lat_rows = [(kind, f"{percentile(v, 0.5):.1f}", f"{percentile(v, 0.95):.1f}", f"{percentile(v, 0.99):.1f}",
                 f"p95 ≤ {TARGET_P95_MS:.0f}" if kind == "ALL" and size >= 100_000 else "")
                for kind, v in sorted(by_type.items(), key=lambda item: (item[0] == "ALL", item[0]))]
    print_table(f"Latency at {_label(size)} (ms, single thread, warm)", ["type", "p50", "p95", "p99", "target"],
                lat_rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000", help="corpus sizes, comma-separated")
    parser.add_argument("--corpus-dir", type=Path, default=Path(tempfile.gettempdir()) / "hoso-corpus")
    parser.add_argument("--index-dir", type=Path, default=None,
                        help="keep the built indexes here and reuse them (default: a fresh temporary index)")
    args = parser.parse_args(argv)
    for size in (int(s) for s in args.sizes.split(",") if s):
        bench_size(size, args.corpus_dir, args.index_dir)


if __name__ == "__main__":
    main()
