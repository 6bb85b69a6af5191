"""Export and import packages: a closed dossier (and an archival file) leaves as a BagIt bag that the Library of
Congress `bagit` package validates, and comes into a second hoso with the same codes, history, metadata and hashes;
a damaged or foreign bag is refused whole."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import bagit
import pytest

from infra.bags import export_bag, export_dossier_bag, import_bag
from infra.wiring import Backends
from records.clock import FixedClock
from records.errors import Conflict, ValidationFailed
from records.search import SearchFilters
from records.services.archival_files import gather_files
from records.services.bags import export_dossier
from records.services.search import search_dossiers
from tests.archive.instances import instance, officer
from tests.archive.test_fixity import _paper
from tests.conftest import BACKEND_PARAMS
from tests.support.factories import MONDAY_9AM


@pytest.fixture(params=BACKEND_PARAMS)
def two(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Backends, Backends]]:
    with instance(request.param, tmp_path / "a") as first, instance(request.param, tmp_path / "b") as second:
        first.clock = second.clock = FixedClock(MONDAY_9AM)
        yield first, second


def _closed_dossier(backends: Backends, tmp_path: Path, words: str) -> str:
    from records.dossiers import DossierState
    from records.services.dossiers import transition_dossier

    document_id, _ = _paper(backends, tmp_path, words)
    with backends.uow() as uow:
        document = uow.documents.get(document_id)
    assert document is not None
    code = document.dossier_code
    for who, to in (("tiepnhan.tranbien", DossierState.REFUSED),):
        transition_dossier(uow=backends.uow(), clock=backends.clock, calendar=backends.calendar,
                           actor=officer(backends, who), code=code, to=to, note="Thiếu giấy tờ")
    return code


def _comparable(backends: Backends, code: str) -> dict[str, object]:
    export = export_dossier(uow=backends.uow(), clock=backends.clock, calendar=backends.calendar,
                            blobs=backends.blobs, actor=None, code=code)
    record = export.record.to_json()
    return {"record": record, "blobs": sorted(export.blob_keys),
            "hashes": sorted(d["document"]["sha256"] for d in record["documents"])}


def test_a_bag_validates_and_round_trips_into_a_second_instance(two: tuple[Backends, Backends],
                                                                tmp_path: Path) -> None:
    first, second = two
    code = _closed_dossier(first, tmp_path, "thua dat so 777 bagit")
    bag_dir = export_dossier_bag(first, code, tmp_path / "bag")
    bag = bagit.Bag(str(bag_dir))
    assert bag.is_valid() and "sha256" in bag.algorithms
    names = set(bag.payload_entries())
    assert {"data/metadata/dossier.json", "data/metadata/dossier.xml", "data/control-slip.pdf",
            "data/audit.jsonl"} <= names
    assert any((n.startswith("data/blobs/derived/") and n.endswith("searchable.pdf")) or n.endswith("text.json")
               for n in names)
    xml = (bag_dir / "data/metadata/dossier.xml").read_text(encoding="utf-8")
    assert "<FileCode>" in xml and "<DocOrdinal>1</DocOrdinal>" in xml and "<PageTotal>" in xml

    assert import_bag(second, bag_dir) == [code]
    assert _comparable(second, code) == _comparable(first, code)
    desk = officer(second, "tiepnhan.tranbien")
    found = search_dossiers(uow=second.uow(), index=second.search, clock=second.clock, actor=desk, text="777 bagit",
                            filters=SearchFilters())
    assert code in {hit.dossier_code for hit in found.results.hits}
    with pytest.raises(Conflict):  # the same bag twice: refused, nothing doubled
        import_bag(second, bag_dir)


def test_a_damaged_or_foreign_bag_is_refused_whole(two: tuple[Backends, Backends], tmp_path: Path) -> None:
    first, second = two
    code = _closed_dossier(first, tmp_path, "thua dat so 778")
    bag_dir = export_dossier_bag(first, code, tmp_path / "bag")

    def refused(variant: str, change: object) -> str:
        copy = tmp_path / variant
        shutil.copytree(bag_dir, copy)
        change(copy)  # type: ignore[operator]
        with pytest.raises((ValidationFailed, Conflict)) as caught:
            import_bag(second, copy)
        with second.uow() as uow:
            assert uow.dossiers.get(code) is None  # nothing half-done
        return caught.value.code

    def flip(root: Path) -> None:
        target = next((root / "data" / "blobs" / "originals").rglob("*"))
        while target.is_dir():
            target = next(target.iterdir())
        target.write_bytes(target.read_bytes()[:-1] + b"X")

    def remove(root: Path) -> None:
        (root / "data" / "control-slip.pdf").unlink()

    def outside(root: Path) -> None:
        manifest = root / "manifest-sha256.txt"
        manifest.write_text(manifest.read_text() + "0" * 64 + "  ../../etc/passwd\n")

    def unknown_agency(root: Path) -> None:
        record = root / "data" / "metadata" / "dossier.json"
        data = json.loads(record.read_text(encoding="utf-8"))
        data["dossier"]["receiving_agency_code"] = "999.99.99.H99"
        record.write_text(json.dumps(data), encoding="utf-8")
        bag = bagit.Bag(str(root))
        bag.save(manifests=True)  # a consistent bag, but from an agency this hoso does not know

    assert refused("flipped", flip) == "invalid_bag"
    assert refused("missing", remove) == "invalid_bag"
    assert refused("outside", outside) == "invalid_bag"
    assert refused("foreign", unknown_agency) == "unknown_agency"
    with second.uow() as uow:
        assert uow.documents.page(after_id="", limit=10) == []


def test_an_archival_file_exports_as_one_bag(two: tuple[Backends, Backends], tmp_path: Path) -> None:
    first, second = two
    codes = [_closed_dossier(first, tmp_path, f"ho so luu tru {n}") for n in (1, 2)]
    files = gather_files(uow=first.uow(), clock=first.clock, actor=officer(first, "luutru.tranbien"),
                         agency_code="000.60.01.H19", year=MONDAY_9AM.year)
    assert [sorted(f.dossier_codes) for f in files] == [sorted(codes)]
    bag_dir = export_bag(first, files[0].file.file_code, tmp_path / "file-bag")
    assert bagit.Bag(str(bag_dir)).is_valid()
    assert "<DocTotal>2</DocTotal>" in (bag_dir / "data/metadata/file.xml").read_text(encoding="utf-8")
    assert sorted(import_bag(second, bag_dir)) == sorted(codes)
    for code in codes:
        assert _comparable(second, code) == _comparable(first, code)
