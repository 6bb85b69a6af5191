"""The server search backend: an Elasticsearch index, one document per dossier, ranked like the embedded one.

The index template (analyzers, mapping) is `infra/deploy/elasticsearch/hoso-dossiers-template.json`; the
adapter puts it on start (`put_index_template`, safe to repeat) and creates the index if missing. Operators may
apply the same file by hand:

    curl -X PUT "$ES/_index_template/hoso-dossiers" -H 'Content-Type: application/json' \\
         -d @infra/deploy/elasticsearch/hoso-dossiers-template.json

Text is folded by the `vi_folded` analyzer (a `mapping` char filter đ→d, then `asciifolding`: no ICU plugin
needed) with an exact `.exact` subfield (`vi_exact`, marks kept). Pages are stored, not indexed, in `pages`
(document id and page texts) and indexed together in `body` (a gap of 100 positions between pages, so phrases do
not run across them); highlights are made from the stored pages by `search.snippets`, as with tantivy, so a hit
names its page. The query is `search.ranking`'s plan: visibility and filters in `bool.filter` (not scored, and
they bound totals and aggregations), the plan's clauses as `term`, `match_phrase`, `fuzzy` and `bool` queries.

The client's major version must match the server's (the `elasticsearch` 9 client talks to Elasticsearch 9).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

from elasticsearch import ApiError, Elasticsearch, NotFoundError, TransportError, helpers
from elasticsearch.helpers import BulkIndexError

from records.search import (
    DossierIndexEntry,
    SearchFilters,
    SearchHit,
    SearchQuery,
    SearchResults,
    SearchUnavailable,
)
from search.analysis import ParsedQuery, parse_query
from search.catalogue import Catalogue
from search.clauses import (
    ALL_METADATA,
    CATALOGUE_FIELDS,
    VOCABULARY_FIELDS,
    Clause,
    Fuzzy,
    Phrase,
    Plan,
    Term,
)
from search.documents import PreparedEntry, prepare
from search.ranking import DEFAULT_WEIGHTS, Weights, plan
from search.snippets import PageText, highlights

TEMPLATE = Path(__file__).resolve().parent.parent / "infra" / "deploy" / "elasticsearch" / "hoso-dossiers-template.json"
TEMPLATE_NAME = "hoso-dossiers"
FACETS = {"field": "field_kw", "procedure": "procedure", "state": "state", "agency": "agency",
          "document_type": "doc_type"}
# Logical fields of search.ranking -> fields of the mapping.
FIELDS = {"name_f": "name", "name_x": "name.exact", "place_f": "place", "place_x": "place.exact",
          "addr_f": "addr", "addr_x": "addr.exact", "proc_f": "proc", "proc_x": "proc.exact",
          "meta_f": "meta", "meta_x": "meta.exact", "field_f": "field", "body_f": "body"}
_CACHE_SECONDS = 300.0  # vocabulary and catalogues are re-read after this (other processes write too)
_MAX_RESULTS = 10_000


def _field(name: str) -> str:
    return FIELDS.get(name, name)


def source(prepared: PreparedEntry) -> dict[str, Any]:
    """The Elasticsearch document of a dossier."""
    texts = prepared.texts
    return {
        "code": prepared.code, "id_number": prepared.id_number, "ids": list(prepared.identifiers),
        "name_key_f": prepared.name_key_folded, "name_key_x": prepared.name_key_exact,
        "place_key": list(prepared.place_keys), "addr_key": list(prepared.addr_keys),
        "vocab": list(prepared.vocabulary), "visible": list(prepared.visible), "agency": prepared.agency,
        "procedure": prepared.procedure, "field_kw": prepared.field, "state": prepared.state,
        "doc_type": list(prepared.document_types), "received": prepared.received.isoformat(),
        "proc_name": texts["proc"], "agency_name": texts["place"],
        "name": texts["name"], "place": texts["place"], "addr": texts["addr"], "proc": texts["proc"],
        "meta": texts["meta"], "field": texts["field"],
        "body": [page for _, pages in prepared.pages for page in pages],
        "pages": [{"document_id": document_id, "texts": list(pages)} for document_id, pages in prepared.pages],
    }


def clause(c: Clause) -> dict[str, Any]:
    """One plan clause as Elasticsearch query DSL."""
    if isinstance(c, Term):
        if c.constant:
            return {"constant_score": {"filter": {"term": {_field(c.field): c.value}}, "boost": c.boost}}
        return {"term": {_field(c.field): {"value": c.value, "boost": c.boost}}}
    if isinstance(c, Phrase):
        return {"match_phrase": {_field(c.field): {"query": " ".join(c.words), "slop": c.slop, "boost": c.boost}}}
    if isinstance(c, Fuzzy):
        fuzzy = {"fuzzy": {_field(c.field): {"value": c.value, "fuzziness": 1, "transpositions": True}}}
        return {"constant_score": {"filter": fuzzy, "boost": c.boost}}
    return {"bool": {"should": [clause(inner) for inner in c.clauses], "boost": c.boost}}


def filters(query: SearchQuery) -> list[dict[str, Any]]:
    """Visibility and filters: `bool.filter` clauses, which score nothing and bound totals and aggregations."""
    found: list[dict[str, Any]] = []
    if query.visible_to is not None:
        visible: dict[str, Any] = {"terms": {"visible": sorted(query.visible_to)}}
        if query.shared_codes:
            visible = {"bool": {"should": [visible, {"terms": {"code": sorted(query.shared_codes)}}],
                                "minimum_should_match": 1}}
        found.append(visible)
    f: SearchFilters = query.filters
    for name, value in (("agency", f.agency_code), ("procedure", f.procedure_code), ("field_kw", f.field),
                        ("state", f.state), ("doc_type", f.document_type)):
        if value is not None:
            found.append({"term": {name: value}})
    if f.received_from is not None or f.received_to is not None:
        bounds: dict[str, str] = {}
        if f.received_from is not None:
            bounds["gte"] = f.received_from.isoformat()
        if f.received_to is not None:
            bounds["lte"] = f.received_to.isoformat()
        found.append({"range": {"received": bounds}})
    return found


def matching(the_plan: Plan) -> dict[str, Any]:
    """Entries that match: most free words, or an identifier or whole name; and every quoted phrase."""
    either: list[dict[str, Any]] = []
    if the_plan.units:
        either.append({"bool": {"should": [clause(u) for u in the_plan.units],
                                "minimum_should_match": the_plan.min_units}})
    either += [clause(s) for s in the_plan.signals]
    must = [clause(r) for r in the_plan.required]
    if either:
        must.append({"bool": {"should": either, "minimum_should_match": 1}})
    return {"bool": {"must": must}}


class _Stats:
    """`search.ranking.IndexStats` answered from counts fetched in one `_msearch` per planning round."""

    def __init__(self, total: int, counts: Mapping[tuple[str, str], int],
                 vocabularies: Mapping[str, Mapping[str, int]], catalogues: Mapping[str, Catalogue]) -> None:
        self.total = total
        self._counts = counts
        self._vocabularies = vocabularies
        self._catalogues = catalogues
        self.missing: set[tuple[str, str]] = set()

    def doc_freq(self, field: str, term: str) -> int:
        key = (field, term)
        if key not in self._counts:
            self.missing.add(key)
            return 1  # unknown yet: asked in the next round
        return self._counts[key]

    def vocabulary(self, field: str = ALL_METADATA) -> Mapping[str, int]:
        return self._vocabularies.get(field, {})

    def catalogue(self, field: str) -> Catalogue:
        return self._catalogues.get(field) or Catalogue(())


class ElasticsearchIndex:
    """`records.search.SearchIndex` on Elasticsearch. Writes refresh the index (`refresh=True`) so a query sees
    them at once; bulk loads may pass `refresh=False`. Raises the client's `ApiError`/`ConnectionError` when the
    server refuses or is unreachable."""

    def __init__(self, url: str, index_name: str = TEMPLATE_NAME, *, client: Elasticsearch | None = None,
                 weights: Weights = DEFAULT_WEIGHTS, refresh: bool = True) -> None:
        self._es = client or Elasticsearch(url, request_timeout=30, retry_on_timeout=True, max_retries=3)
        self._index = index_name
        self._weights = weights
        self._refresh = refresh
        self._lock = threading.Lock()
        self._cache: tuple[float, dict[str, dict[str, int]], dict[str, Catalogue]] | None = None
        self._ensure_index()

    def _ensure_index(self) -> None:
        """Puts the template (safe to repeat) and creates the index if it does not exist."""
        template = json.loads(TEMPLATE.read_text(encoding="utf-8"))
        patterns: list[str] = template["index_patterns"]
        name = TEMPLATE_NAME
        if not any(fnmatch(self._index, pattern) for pattern in patterns):
            patterns, name = [self._index], f"{TEMPLATE_NAME}-{self._index}"
        self._es.indices.put_index_template(name=name, index_patterns=patterns, priority=template["priority"],
                                            template=template["template"], meta=template.get("_meta"))
        if not self._es.indices.exists(index=self._index):
            self._es.options(ignore_status=400).indices.create(index=self._index)  # 400: created meanwhile

    @contextmanager
    def _answering(self) -> Iterator[None]:
        """The client's errors as SearchUnavailable: no answer (reason "unreachable"), a read-only or forbidden index
        ("permission"), a mapping that refuses our documents ("schema"). Anything else is raised as it is."""
        try:
            yield
        except TransportError as error:  # connection refused, timeouts
            raise self._unavailable("unreachable", error) from error
        except BulkIndexError as error:
            text = str(error.errors[:1])
            reason = "permission" if "cluster_block" in text or "read_only" in text or "403" in text else "schema"
            raise self._unavailable(reason, error) from error
        except ApiError as error:
            status, text = error.meta.status, str(error)
            if status in (401, 403) or "cluster_block" in text:
                raise self._unavailable("permission", error) from error
            if status >= 500 or status == 429:
                raise self._unavailable("unreachable", error) from error
            if status == 400 and ("mapper" in text or "illegal_argument" in text):
                raise self._unavailable("schema", error) from error
            raise

    def _unavailable(self, reason: str, error: Exception) -> SearchUnavailable:
        return SearchUnavailable(detail={"reason": reason, "path": self._index, "error": str(error)[:500]})

    def check(self) -> None:
        """Raises SearchUnavailable when the server does not answer or the index is missing. Writes nothing."""
        with self._answering():
            if not self._es.options(request_timeout=5).indices.exists(index=self._index):
                raise self._unavailable("damaged", LookupError(f"index {self._index} does not exist"))

    def drop(self) -> None:
        """Deletes the index (tests). Safe to repeat."""
        self._es.options(ignore_status=404).indices.delete(index=self._index)

    # --- writes ----------------------------------------------------------------------------------------------

    def upsert(self, entries: Sequence[DossierIndexEntry]) -> None:
        """Indexes entries by dossier code (a new version replaces the old document). Safe to repeat; the last of
        several entries with one code wins."""
        if not entries:
            return
        actions = [{"_op_type": "index", "_index": self._index, "_id": e.dossier_code, "_source": source(prepare(e))}
                   for e in entries]
        with self._answering():
            helpers.bulk(self._es, actions, refresh=self._refresh)
        self._cache = None

    def delete(self, dossier_codes: Sequence[str]) -> None:
        """Removes entries; unknown codes are ignored. Safe to repeat."""
        if not dossier_codes:
            return
        actions = [{"_op_type": "delete", "_index": self._index, "_id": c} for c in dossier_codes]
        with self._answering():
            helpers.bulk(self._es, actions, refresh=self._refresh, ignore_status=(404,))
        self._cache = None

    def count(self) -> int:
        with self._answering():
            return int(self._es.count(index=self._index)["count"])

    # --- queries ---------------------------------------------------------------------------------------------

    def query(self, query: SearchQuery) -> SearchResults:
        """Best first; only entries visible to `query.visible_to` are counted, faceted or returned."""
        if query.visible_to is not None and not query.visible_to and not query.shared_codes:
            return SearchResults(hits=(), total=0, facets={k: {} for k in FACETS} if query.with_facets else {})
        parsed = parse_query(query.text)
        with self._answering():
            the_plan = self._plan(parsed)
        limit = max(0, min(query.limit, _MAX_RESULTS))
        sort: list[Mapping[str, Any]] | None = None
        if the_plan.matches_everything:
            dsl: dict[str, Any] = {"bool": {"filter": filters(query)}}
            sort = [{"received": "desc"}, {"code": "asc"}]
        else:
            dsl = {"bool": {"filter": filters(query), "must": [matching(the_plan)],
                            "should": [clause(b) for b in the_plan.boosts]}}
        aggs = ({name: {"terms": {"field": field, "size": 200}} for name, field in FACETS.items()}
                if query.with_facets else None)
        with self._answering():
            answer = self._es.search(index=self._index, query=dsl, sort=sort, aggs=aggs, from_=max(0, query.offset),
                                     size=limit, track_total_hits=True, source_includes=["code", "pages"])
        hits = tuple(self._hit(h, parsed) for h in answer["hits"]["hits"])
        facets = {name: {str(b["key"]): int(b["doc_count"]) for b in answer["aggregations"][name]["buckets"]}
                  for name in FACETS} if query.with_facets else {}
        return SearchResults(hits=hits, total=int(answer["hits"]["total"]["value"]), facets=facets)

    @staticmethod
    def _hit(hit: Mapping[str, Any], parsed: ParsedQuery) -> SearchHit:
        stored = hit["_source"]
        pages = [PageText(str(d["document_id"]), number, text) for d in stored.get("pages", [])
                 for number, text in enumerate(d["texts"], start=1)]
        return SearchHit(dossier_code=str(stored["code"]), score=float(hit.get("_score") or 0.0),
                         highlights=highlights(pages, parsed))

    def _plan(self, parsed: ParsedQuery) -> Plan:
        """Plans twice at most: the first round learns which term counts the plan needs, one `_msearch` fetches
        them (and the total), the second round plans with them."""
        vocabularies, catalogues = self._names()
        counts: dict[tuple[str, str], int] = {}
        total = 1
        for _ in range(3):
            stats = _Stats(total, counts, vocabularies, catalogues)
            the_plan = plan(parsed, weights=self._weights, stats=stats)
            if not stats.missing:
                return the_plan
            total = self._fetch(sorted(stats.missing), counts)
        return the_plan

    def _fetch(self, keys: Sequence[tuple[str, str]], counts: dict[tuple[str, str], int]) -> int:
        searches: list[Mapping[str, Any]] = [{"index": self._index}, {"size": 0, "track_total_hits": True}]
        for field, term in keys:
            searches += [{"index": self._index},
                         {"size": 0, "track_total_hits": True, "query": {"term": {_field(field): term}}}]
        responses = self._es.msearch(searches=searches)["responses"]
        for (field, term), response in zip(keys, responses[1:], strict=True):
            counts[(field, term)] = int(response["hits"]["total"]["value"]) if "hits" in response else 0
        return max(1, int(responses[0]["hits"]["total"]["value"]))

    def _names(self) -> tuple[dict[str, dict[str, int]], dict[str, Catalogue]]:
        """Metadata words (for typo correction) and catalogue names, from terms aggregations, cached a while."""
        cached = self._cache
        if cached is not None and time.monotonic() - cached[0] < _CACHE_SECONDS:
            return cached[1], cached[2]
        aggs = {f"names_{f}": {"terms": {"field": f, "size": 10_000}} for f in CATALOGUE_FIELDS}
        aggs["vocab"] = {"terms": {"field": "vocab", "size": 65_000}}
        try:
            answer = self._es.search(index=self._index, size=0, aggs=aggs)
        except NotFoundError:
            return {}, {}
        every = {str(b["key"]): int(b["doc_count"]) for b in answer["aggregations"]["vocab"]["buckets"]}
        # One vocabulary for all metadata fields: the names' own words are what typo correction and the name
        # heuristics need, and keeping one keyword field per metadata field is not worth its space here.
        vocabularies: dict[str, dict[str, int]] = {f: every for f in VOCABULARY_FIELDS}
        vocabularies[ALL_METADATA] = every
        catalogues = {f: Catalogue(str(b["key"]) for b in answer["aggregations"][f"names_{f}"]["buckets"])
                      for f in CATALOGUE_FIELDS}
        with self._lock:
            self._cache = (time.monotonic(), vocabularies, catalogues)
        return vocabularies, catalogues

