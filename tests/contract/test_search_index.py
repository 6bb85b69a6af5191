"""The search port's contract (`records.search.SearchIndex`), run on every backend.

`SearchIndexContract` holds the behaviour; each subclass only supplies the `index` fixture: tantivy in memory and
on disk always, Elasticsearch when HOSO_ES_URL points at a server.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from records.search import (
    DossierIndexEntry,
    IndexedDocument,
    SearchFilters,
    SearchIndex,
    SearchQuery,
    SearchResults,
)
from search.tantivy_index import TantivyIndex

VN = timezone(timedelta(hours=7))
TRAN_BIEN = "000.60.01.H19"
LAND_OFFICE = "000.00.02.H19"
TAN_PHU = "000.00.39.H19"
LAND_CERTIFICATE = "1.012756"
BIRTH = "1.004709"


def entry(code: str, *, name: str = "Trần Thị Bích", id_number: str = "075185000001",
          agency: str = TRAN_BIEN, agency_name: str = "UBND phường Trấn Biên, tỉnh Đồng Nai",
          visible_to: frozenset[str] | None = None, procedure: str = LAND_CERTIFICATE,
          procedure_name: str = "Đăng ký, cấp Giấy chứng nhận quyền sử dụng đất lần đầu", field: str = "Đất đai",
          state: str = "processing", received: date = date(2026, 3, 2), address: str = "khu phố 3, phường Trấn Biên",
          pages: tuple[str, ...] = ("Đơn đề nghị cấp giấy chứng nhận.",), document_type: str = "don_de_nghi",
          documents: tuple[IndexedDocument, ...] | None = None) -> DossierIndexEntry:
    return DossierIndexEntry(
        dossier_code=code,
        visible_to=visible_to if visible_to is not None else frozenset({agency}),
        receiving_agency_code=agency,
        agency_name=agency_name,
        procedure_code=procedure,
        procedure_name=procedure_name,
        field=field,
        state=state,
        received_at=datetime.combine(received, datetime.min.time(), VN) + timedelta(hours=9),
        applicant_name=name,
        applicant_id_number=id_number,
        applicant_address=address,
        documents=documents if documents is not None else (
            IndexedDocument(document_id=f"{code}/1", document_type=document_type, title="Đơn đề nghị", pages=pages),),
    )


def code(n: int, day: str = "260302") -> str:
    return f"{TRAN_BIEN}-{day}-{n:04d}"


def search(index: SearchIndex, text: str, **kwargs: object) -> SearchResults:
    return index.query(SearchQuery(text=text, visible_to=kwargs.pop("visible_to", None), **kwargs))  # type: ignore[arg-type]


def codes(results: SearchResults) -> list[str]:
    return [hit.dossier_code for hit in results.hits]


class SearchIndexContract:
    @pytest.fixture
    def index(self) -> Iterator[SearchIndex]:
        raise NotImplementedError

    # --- Vietnamese text ---------------------------------------------------------------------------------------

    def test_a_query_without_diacritics_finds_the_dossier_and_the_exact_spelling_ranks_first(
            self, index: SearchIndex) -> None:
        """GIVEN applicants Nguyễn Văn Lân and Nguyễn Văn Lan WHEN an officer types "nguyen van lan" THEN both
        are found; WHEN she types "Nguyễn Văn Lan" THEN Lan comes first (and Lân second)."""
        index.upsert([entry(code(1), name="Nguyễn Văn Lân", id_number="075085000001"),
                      entry(code(2), name="Nguyễn Văn Lan", id_number="075085000002"),
                      entry(code(3), name="Phạm Thị Hoa", id_number="075185000003")])
        assert set(codes(search(index, "nguyen van lan"))[:2]) == {code(1), code(2)}
        assert codes(search(index, "Nguyễn Văn Lan"))[:2] == [code(2), code(1)]
        assert codes(search(index, "Nguyễn Văn Lân"))[:2] == [code(1), code(2)]

    def test_words_of_the_pages_are_found_without_their_diacritics(self, index: SearchIndex) -> None:
        index.upsert([entry(code(1), pages=("Biên bản xác minh hiện trạng sử dụng đất tại ấp Bàu Sen.",)),
                      entry(code(2), pages=("Tờ khai lệ phí trước bạ.",))])
        assert codes(search(index, "bien ban xac minh hien trang")) == [code(1)]
        assert codes(search(index, "Bàu Sen")) == [code(1)]

    def test_old_and_new_tone_placement_are_the_same_word(self, index: SearchIndex) -> None:
        index.upsert([entry(code(1), name="Lê Thị Thuỷ", agency_name="UBND xã Tân Hoà"),
                      entry(code(2), name="Lê Thị Thu", agency_name="UBND xã Tân Phú")])
        assert codes(search(index, "Lê Thị Thủy"))[0] == code(1)
        assert codes(search(index, "Tân Hòa"))[0] == code(1)

    def test_a_quoted_phrase_matches_only_the_exact_sequence(self, index: SearchIndex) -> None:
        index.upsert([entry(code(1), pages=("Xin chuyển mục đích sang đất ở tại nông thôn theo quy hoạch.",)),
                      entry(code(2), pages=("Nông thôn mới: tại đây đất trồng lúa, nhà ở riêng lẻ.",)),
                      entry(code(3), pages=("Không liên quan.",))])
        assert codes(search(index, '"đất ở tại nông thôn"')) == [code(1)]
        assert codes(search(index, '"dat o tai nong thon"')) == [code(1)]
        assert search(index, '"nông thôn tại ở đất"').total == 0

    def test_a_phrase_typed_without_quotes_ranks_the_exact_sequence_first(self, index: SearchIndex) -> None:
        index.upsert([entry(code(1), pages=("Thửa đất có nguồn gốc nhận chuyển nhượng, sử dụng ổn định từ năm "
                                            "1995 và không có tranh chấp.",)),
                      entry(code(2), pages=("Không có tranh chấp. Nguồn gốc sử dụng: nhận chuyển nhượng năm 2001, "
                                            "ổn định.",))])
        assert codes(search(index, "su dung on dinh tu nam 1995"))[0] == code(1)

    # --- identifiers -------------------------------------------------------------------------------------------

    def test_an_id_number_finds_exactly_its_dossiers(self, index: SearchIndex) -> None:
        index.upsert([entry(code(n), id_number=f"07508500000{n}", name="Nguyễn Văn An") for n in range(1, 6)])
        results = search(index, "075085000003")
        assert codes(results) == [code(3)]
        assert results.total == 1

    def test_a_dossier_code_finds_its_dossier_first(self, index: SearchIndex) -> None:
        index.upsert([entry(code(n)) for n in range(1, 6)] +
                     [entry(code(9), pages=(f"Hồ sơ liên quan: {code(4)}.",))])
        assert codes(search(index, code(4)))[0] == code(4)
        assert codes(search(index, code(4).lower()))[0] == code(4)
        assert set(codes(search(index, code(4)))) == {code(4), code(9)}

    def test_a_parcel_and_map_sheet_find_their_dossier(self, index: SearchIndex) -> None:
        index.upsert([
            entry(code(1), pages=("Quyền sử dụng đất tại thửa đất số 342, tờ bản đồ số 60, xã Bàu Hàm.",)),
            entry(code(2), pages=("Quyền sử dụng đất tại thửa đất số 60, tờ bản đồ số 342.",)),
            entry(code(3), pages=("Quyền sử dụng đất tại thửa đất số 342, tờ bản đồ số 61.",)),
            entry(code(4), pages=("Thửa đất số: 342; Tờ bản đồ số: 60 (trích đo).",)),
        ])
        assert set(codes(search(index, "thửa 342 tờ 60"))[:2]) == {code(1), code(4)}
        assert set(codes(search(index, "thua dat so 342 to ban do so 60"))[:2]) == {code(1), code(4)}

    # --- typos ---------------------------------------------------------------------------------------------------

    def test_a_one_letter_typo_still_finds(self, index: SearchIndex) -> None:
        index.upsert([entry(code(1), name="Huỳnh Ngọc Phương", id_number="075185000001"),
                      entry(code(2), name="Lê Văn Tám", id_number="075085000002",
                            procedure_name="Đăng ký khai tử", field="Hộ tịch", procedure=BIRTH),
                      entry(code(3), name="Trần Văn Bảy", id_number="075085000003")])
        assert codes(search(index, "huynh ngoc phuogn"))[0] == code(1)  # transposed letters
        assert codes(search(index, "dang ky hkai tu"))[0] == code(2)
        assert codes(search(index, "Trần Văn Bẩy"))[0] == code(3)

    # --- filters and visibility ----------------------------------------------------------------------------------

    @pytest.fixture
    def varied(self, index: SearchIndex) -> SearchIndex:
        index.upsert([
            entry(code(1), pages=("Hồ sơ đất đai.",)),
            entry(code(2), agency=LAND_OFFICE, agency_name="Văn phòng Đăng ký đất đai", pages=("Hồ sơ đất đai.",)),
            entry(code(3), procedure=BIRTH, procedure_name="Đăng ký khai sinh", field="Hộ tịch",
                  pages=("Hồ sơ khai sinh.",), document_type="to_khai"),
            entry(code(4), state="resolved", received=date(2026, 1, 15), pages=("Hồ sơ đất đai.",)),
        ])
        return index

    @pytest.mark.parametrize(("filters", "expected"), [
        (SearchFilters(agency_code=LAND_OFFICE), {2}),
        (SearchFilters(procedure_code=BIRTH), {3}),
        (SearchFilters(field="Hộ tịch"), {3}),
        (SearchFilters(state="resolved"), {4}),
        (SearchFilters(document_type="to_khai"), {3}),
        (SearchFilters(received_from=date(2026, 1, 1), received_to=date(2026, 1, 31)), {4}),
        (SearchFilters(received_from=date(2026, 3, 2)), {1, 2, 3}),
        (SearchFilters(received_to=date(2026, 1, 15)), {4}),
        (SearchFilters(agency_code=TRAN_BIEN, state="processing", field="Đất đai"), {1}),
    ])
    def test_filters_restrict_hits_and_total(self, varied: SearchIndex, filters: SearchFilters,
                                             expected: set[int]) -> None:
        for text in ("hồ sơ", ""):
            results = search(varied, text, filters=filters)
            assert set(codes(results)) == {code(n) for n in expected}
            assert results.total == len(expected)

    def test_an_agency_never_sees_what_it_may_not(self, index: SearchIndex) -> None:
        """GIVEN a dossier visible only to phường Trấn Biên WHEN xã Tân Phú searches for its very words THEN it
        is not in the hits, not in the total and not in any facet count."""
        index.upsert([
            entry(code(1), name="Đỗ Minh Khôi", pages=("Bí mật thửa đất số 7, tờ bản đồ số 8.",)),
            entry(code(2), agency=TAN_PHU, agency_name="UBND xã Tân Phú", name="Đỗ Minh Khôi",
                  procedure=BIRTH, procedure_name="Đăng ký khai sinh", field="Hộ tịch", pages=("Khai sinh.",)),
        ])
        for text in ("Đỗ Minh Khôi", "bi mat", code(1), "thửa 7 tờ 8", "075185000001", ""):
            results = index.query(SearchQuery(text=text, visible_to=frozenset({TAN_PHU}), with_facets=True))
            assert code(1) not in codes(results)
            assert results.total == len(results.hits) <= 1
            assert TRAN_BIEN not in results.facets.get("agency", {})
            assert "Đất đai" not in results.facets.get("field", {})
            assert LAND_CERTIFICATE not in results.facets.get("procedure", {})
        assert search(index, "Đỗ Minh Khôi", visible_to=frozenset()).total == 0
        both = search(index, "Đỗ Minh Khôi", visible_to=frozenset({TAN_PHU, TRAN_BIEN}))
        assert set(codes(both)) == {code(1), code(2)}

    def test_a_dossier_visible_to_several_agencies_is_found_by_each(self, index: SearchIndex) -> None:
        index.upsert([entry(code(1), visible_to=frozenset({TRAN_BIEN, LAND_OFFICE}))])
        assert codes(search(index, "Trần Thị Bích", visible_to=frozenset({LAND_OFFICE}))) == [code(1)]

    def test_a_dossier_shared_with_the_caller_is_found_counted_and_faceted(self, index: SearchIndex) -> None:
        """GIVEN a dossier of phường Trấn Biên shared whole with xã Tân Phú (the caller passes its code)
        THEN Tân Phú finds it like its own; without the share it does not."""
        index.upsert([entry(code(1), name="Đỗ Minh Khôi"), entry(code(2), name="Đỗ Minh Khôi")])
        shared = index.query(SearchQuery(text="do minh khoi", visible_to=frozenset({TAN_PHU}),
                                         shared_codes=frozenset({code(2)}), with_facets=True))
        assert (codes(shared), shared.total, shared.facets["agency"]) == ([code(2)], 1, {TRAN_BIEN: 1})
        alone = index.query(SearchQuery(text="", visible_to=frozenset(), shared_codes=frozenset({code(1)})))
        assert codes(alone) == [code(1)]
        assert search(index, "do minh khoi", visible_to=frozenset({TAN_PHU})).total == 0

    def test_facets_count_the_hits(self, varied: SearchIndex) -> None:
        results = varied.query(SearchQuery(text="hồ sơ", visible_to=None, with_facets=True))
        assert results.facets["field"] == {"Đất đai": 3, "Hộ tịch": 1}
        assert results.facets["agency"] == {TRAN_BIEN: 3, LAND_OFFICE: 1}
        assert results.facets["procedure"] == {LAND_CERTIFICATE: 3, BIRTH: 1}
        assert results.facets["state"] == {"processing": 3, "resolved": 1}
        assert results.facets["document_type"] == {"don_de_nghi": 3, "to_khai": 1}
        assert search(varied, "hồ sơ").facets == {}

    # --- writes --------------------------------------------------------------------------------------------------

    def test_upsert_replaces_the_entry(self, index: SearchIndex) -> None:
        """GIVEN a dossier indexed with a page WHEN it is indexed again after a change THEN the old text is gone."""
        index.upsert([entry(code(1), pages=("Bản nháp cũ: chuyển nhượng.",))])
        index.upsert([entry(code(1), pages=("Bản chính: tặng cho.",), state="resolved")])
        index.upsert([entry(code(1), pages=("Bản chính: tặng cho.",), state="resolved")])  # safe to repeat
        assert index.count() == 1
        assert search(index, "chuyen nhuong").total == 0
        assert codes(search(index, "tang cho")) == [code(1)]
        assert codes(search(index, "", filters=SearchFilters(state="resolved"))) == [code(1)]

    def test_the_last_of_several_entries_for_one_code_wins(self, index: SearchIndex) -> None:
        index.upsert([entry(code(1), pages=("một",)), entry(code(1), pages=("hai",))])
        assert index.count() == 1
        assert codes(search(index, "hai")) == [code(1)]

    def test_delete_removes_and_is_safe_to_repeat(self, index: SearchIndex) -> None:
        index.upsert([entry(code(1)), entry(code(2))])
        index.delete([code(1), "000.00.00.H19-000000-0000"])
        index.delete([code(1)])
        assert index.count() == 1
        assert codes(search(index, "Trần Thị Bích")) == [code(2)]

    # --- results -------------------------------------------------------------------------------------------------

    def test_highlights_name_the_page_that_matched(self, index: SearchIndex) -> None:
        documents = (
            IndexedDocument(document_id="DOC-A", document_type="don_de_nghi", title="Đơn", pages=("Trang đầu.",)),
            IndexedDocument(document_id="DOC-X", document_type="bien_ban", title="Biên bản",
                            pages=("Trang một không có gì.", "Trang hai: hiện trạng nhà ở cấp bốn xây năm 1998.")),
        )
        index.upsert([entry(code(1), documents=documents)])
        [hit] = search(index, "nha o cap bon").hits
        first = hit.highlights[0]
        assert (first.document_id, first.page_number) == ("DOC-X", 2)
        assert "<mark>nhà</mark> <mark>ở</mark> <mark>cấp</mark> <mark>bốn</mark>" in first.snippet

    def test_html_in_the_text_is_escaped_in_snippets(self, index: SearchIndex) -> None:
        index.upsert([entry(code(1), pages=('Ghi chú <script>alert("x")</script> & <b>đóng dấu</b> giáp lai.',))])
        [hit] = search(index, "dong dau giap lai").hits
        snippet = hit.highlights[0].snippet
        assert "<script>" not in snippet and "<b>" not in snippet
        assert "&lt;script&gt;" in snippet and "&amp;" in snippet
        assert "<mark>đóng</mark> <mark>dấu</mark>" in snippet

    def test_pagination_and_total(self, index: SearchIndex) -> None:
        index.upsert([entry(code(n), name=f"Người Số {n}", pages=(f"Biên nhận hồ sơ số {n}.",))
                      for n in range(1, 26)])
        pages = [index.query(SearchQuery(text="biên nhận", visible_to=None, limit=10, offset=offset))
                 for offset in (0, 10, 20)]
        assert [len(p.hits) for p in pages] == [10, 10, 5]
        assert {p.total for p in pages} == {25}
        seen = [c for p in pages for c in codes(p)]
        assert sorted(seen) == sorted(code(n) for n in range(1, 26))
        assert index.query(SearchQuery(text="biên nhận", visible_to=None, limit=10, offset=30)).hits == ()

    def test_an_empty_query_lists_the_visible_dossiers_newest_first(self, index: SearchIndex) -> None:
        index.upsert([entry(code(1), received=date(2026, 1, 5)), entry(code(2), received=date(2026, 3, 5)),
                      entry(code(3), received=date(2026, 2, 5))])
        results = search(index, "")
        assert codes(results) == [code(2), code(3), code(1)]
        assert results.total == 3

    def test_count(self, index: SearchIndex) -> None:
        assert index.count() == 0
        index.upsert([entry(code(n)) for n in range(1, 4)])
        assert index.count() == 3

    def test_concurrent_queries_agree(self, index: SearchIndex) -> None:
        index.upsert([entry(code(n), name=name, id_number=f"0750850000{n:02d}")
                      for n, name in enumerate(["Nguyễn Văn An", "Lê Thị Hồng", "Phạm Minh Quân"] * 5, start=1)])
        queries = ["nguyen van an", "Lê Thị Hồng", "pham minh quan", "075085000004"] * 10
        expected = {q: codes(search(index, q)) for q in set(queries)}
        with ThreadPoolExecutor(max_workers=8) as pool:
            answers = list(pool.map(lambda q: (q, codes(search(index, q))), queries))
        assert all(found == expected[q] for q, found in answers)


class TestTantivyInMemory(SearchIndexContract):
    @pytest.fixture
    def index(self) -> Iterator[SearchIndex]:
        yield TantivyIndex(None, writer_heap_bytes=15_000_000)


class TestTantivyOnDisk(SearchIndexContract):
    @pytest.fixture
    def index(self, tmp_path: Path) -> Iterator[SearchIndex]:
        index = TantivyIndex(tmp_path / "index", writer_heap_bytes=15_000_000)
        yield index
        index.close()

    def test_an_index_reopens_with_its_entries(self, tmp_path: Path) -> None:
        first = TantivyIndex(tmp_path / "reopen", writer_heap_bytes=15_000_000)
        first.upsert([entry(code(1)), entry(code(2), name="Võ Thị Sáu")])
        first.close()
        again = TantivyIndex(tmp_path / "reopen", writer_heap_bytes=15_000_000)
        assert again.count() == 2
        assert codes(search(again, "vo thi sau")) == [code(2)]
        again.upsert([replace(entry(code(3)), applicant_name="Lý Tự Trọng")])
        assert again.count() == 3
        again.close()

    def test_two_writers_of_one_directory_take_turns(self, tmp_path: Path) -> None:
        """GIVEN two indexes on one directory (two worker processes, or a reindex beside the worker)
        THEN each write waits for the directory's lock and gives it back: both writes land."""
        first = TantivyIndex(tmp_path / "shared", writer_heap_bytes=15_000_000)
        second = TantivyIndex(tmp_path / "shared", writer_heap_bytes=15_000_000)
        with ThreadPoolExecutor(max_workers=2) as pool:
            done = [pool.submit(writer.upsert, [entry(code(n))])
                    for n, writer in enumerate((first, second, first, second), start=1)]
            for future in done:
                future.result()
        reader = TantivyIndex(tmp_path / "shared", writer_heap_bytes=15_000_000)
        assert reader.count() == 4


ES_URL = os.environ.get("HOSO_ES_URL")


@pytest.mark.skipif(not ES_URL, reason="HOSO_ES_URL is not set: no Elasticsearch server here")
class TestElasticsearch(SearchIndexContract):
    @pytest.fixture
    def index(self) -> Iterator[SearchIndex]:
        from search.elastic_index import ElasticsearchIndex

        assert ES_URL is not None
        index = ElasticsearchIndex(ES_URL, f"hoso-dossiers-test-{uuid.uuid4().hex[:12]}")
        yield index
        index.drop()


def test_the_elasticsearch_template_maps_what_the_adapter_writes() -> None:
    """Runs without a server: the strict mapping must hold every field of the documents the adapter sends, the
    analyzers must fold without the ICU plugin, and visibility must be a filter of the query."""
    from search.documents import prepare
    from search.elastic_index import TEMPLATE, filters, source

    template = json.loads(TEMPLATE.read_text(encoding="utf-8"))
    mapping = template["template"]["mappings"]
    assert mapping["dynamic"] == "strict"
    assert set(source(prepare(entry(code(1))))) == set(mapping["properties"])
    analysis = template["template"]["settings"]["analysis"]
    assert analysis["analyzer"]["vi_folded"]["filter"][:2] == ["lowercase", "asciifolding"]
    assert "đ => d" in analysis["char_filter"]["vi_d_bar"]["mappings"]
    query = SearchQuery(text="x", visible_to=frozenset({TAN_PHU, TRAN_BIEN}),
                        filters=SearchFilters(received_from=date(2026, 1, 1)))
    assert filters(query) == [{"terms": {"visible": sorted({TAN_PHU, TRAN_BIEN})}},
                              {"range": {"received": {"gte": "2026-01-01"}}}]
