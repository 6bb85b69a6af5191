"""Export and import packages: a closed dossier (and an archival file) leaves as a BagIt bag that the Library of
Congress `bagit` package validates, and comes into a second hoso with the same codes, history, metadata and hashes;
a damaged or foreign bag is refused whole."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import zipfile
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import bagit
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from infra.bags import export_bag, export_dossier_bag, import_bag
from infra.cli import main
from infra.settings import Settings
from infra.wiring import Backends, build_backends
from records.access_log import AccessLogFilter
from records.archival_files import FileState
from records.clock import FixedClock
from records.errors import Conflict, DomainError, ValidationFailed
from records.package import plain
from records.search import SearchFilters
from records.services.archival_files import edit_document, gather_files, move_file
from records.services.bags import OPERATOR, export_dossier
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
    with first.uow() as uow:  # an archivist's extension of its due date (the land procedure keeps it for ever)
        uow.begin_write()
        kept = uow.retention.get(code)
        assert kept is not None
        kept.extended_due_on, kept.extension_reason, kept.extended_by = date(2070, 12, 31), "Thanh tra", "luutru"
        uow.retention.save(kept)
        uow.commit()
    bag_dir = export_dossier_bag(first, code, tmp_path / "bag")
    bag = bagit.Bag(str(bag_dir))
    assert bag.is_valid() and "sha256" in bag.algorithms
    names = set(bag.payload_entries())
    assert {"data/metadata/dossier.json", "data/metadata/dossier.xml", "data/metadata/decree30.json",
            "data/control-slip.pdf", "data/audit.jsonl"} <= names
    assert (bag_dir / "tagmanifest-sha256.txt").is_file()
    assert {"bag-info.txt", "manifest-sha256.txt"} <= {Path(n).name for n in bag.tagfile_entries()}
    decree30 = json.loads((bag_dir / "data/metadata/decree30.json").read_text(encoding="utf-8"))
    assert decree30["organ_id"] == "000.60.01.H19" and decree30["documents"][0]["doc_ordinal"] == 1
    audit = [json.loads(line) for line in (bag_dir / "data/audit.jsonl").read_text(encoding="utf-8").splitlines()]
    assert audit and {a["entry"]["dossier_code"] for a in audit} == {code} and all(a["entry_hash"] for a in audit)
    assert any((n.startswith("data/blobs/derived/") and n.endswith("searchable.pdf")) or n.endswith("text.json")
               for n in names)
    xml = (bag_dir / "data/metadata/dossier.xml").read_text(encoding="utf-8")
    assert "<FileCode>" in xml and "<DocOrdinal>1</DocOrdinal>" in xml and "<PageTotal>" in xml

    assert import_bag(second, bag_dir).dossier_codes == [code]
    assert _comparable(second, code) == _comparable(first, code)
    assert _blob_bytes(second, code) == _blob_bytes(first, code)
    lines = []
    for backends in (first, second):
        with backends.uow() as uow:
            lines.append(plain(uow.retention.get(code)))
    assert lines[0] == lines[1] and lines[1]["extension_reason"] == "Thanh tra"  # the clock and its extension
    desk = officer(second, "tiepnhan.tranbien")
    found = search_dossiers(uow=second.uow(), index=second.search, clock=second.clock, actor=desk, text="777 bagit",
                            filters=SearchFilters())
    assert code in {hit.dossier_code for hit in found.results.hits}
    with pytest.raises(Conflict):  # the same bag twice: refused, nothing doubled
        import_bag(second, bag_dir)


def _blob_bytes(backends: Backends, code: str) -> dict[str, str]:
    """Every stored blob of the dossier's documents: key → SHA-256 of what the store gives back."""
    export = export_dossier(uow=backends.uow(), clock=backends.clock, calendar=backends.calendar,
                            blobs=backends.blobs, actor=None, code=code)
    found = {}
    for key in export.blob_keys:
        with backends.blobs.open(key) as stream:
            found[key] = hashlib.sha256(stream.read()).hexdigest()
    return found


def _nothing_stored(backends: Backends, codes: list[str]) -> None:
    """No dossier row, no document row, no blob, no archival file: nothing half-done."""
    with backends.uow() as uow:
        assert uow.dossiers.get_many(codes) == []
        assert uow.documents.page(after_id="", limit=10) == []
        assert uow.archival_files.find(agencies=None)[1] == 0
    assert list(backends.blobs.keys()) == []


def _reseal(root: Path) -> None:
    """Recomputes the bag's manifests: a consistent bag whose content says something this hoso refuses."""
    bagit.Bag(str(root)).save(manifests=True)


def _edit_record(root: Path, change: Callable[[dict[str, Any]], None], name: str = "metadata/dossier.json") -> None:
    record = root / "data" / name
    data = json.loads(record.read_text(encoding="utf-8"))
    change(data)
    record.write_text(json.dumps(data), encoding="utf-8")
    _reseal(root)


def test_a_damaged_or_foreign_bag_is_refused_whole(two: tuple[Backends, Backends], tmp_path: Path) -> None:
    first, second = two
    code = _closed_dossier(first, tmp_path, "thua dat so 778")
    bag_dir = export_dossier_bag(first, code, tmp_path / "bag")

    def refused(variant: str, change: Callable[[Path], None]) -> DomainError:
        copy = tmp_path / variant
        shutil.copytree(bag_dir, copy)
        change(copy)
        with pytest.raises(DomainError) as caught:
            import_bag(second, copy)
        _nothing_stored(second, [code])
        return caught.value

    def flip(root: Path) -> None:
        target = next(p for p in (root / "data" / "blobs" / "originals").rglob("*") if p.is_file())
        target.write_bytes(target.read_bytes()[:-1] + b"X")

    def remove(root: Path) -> None:
        (root / "data" / "control-slip.pdf").unlink()

    def outside(root: Path) -> None:
        manifest = root / "manifest-sha256.txt"
        manifest.write_text(manifest.read_text() + "0" * 64 + "  ../../etc/passwd\n")

    def unknown_agency(root: Path) -> None:
        _edit_record(root, lambda d: d["dossier"].update(receiving_agency_code="999.99.99.H99"))

    def unknown_procedure(root: Path) -> None:
        _edit_record(root, lambda d: d["dossier"].update(procedure_code="9.999999"))

    def swapped_original(root: Path) -> None:  # a consistent bag whose original is not the paper its hash names
        target = next(p for p in (root / "data" / "blobs" / "originals").rglob("*") if p.is_file())
        target.write_bytes(b"%PDF-1.4 another paper")
        _reseal(root)

    assert refused("flipped", flip).code == "invalid_bag"
    missing = refused("missing", remove)
    assert missing.code == "invalid_bag" and missing.detail["problem"] == "missing_file"
    assert missing.detail["files"] == ["data/control-slip.pdf"] and "control-slip.pdf" in missing.message_vi
    assert refused("outside", outside).detail["problem"] == "path_outside"
    smuggled = refused("smuggled", lambda root: (root / "data" / "extra.txt").write_text("x"))
    assert smuggled.detail["problem"] == "unlisted_file" and smuggled.detail["files"] == ["data/extra.txt"]
    foreign = refused("foreign", unknown_agency)
    assert foreign.code == "unknown_agency" and foreign.detail == {"agency_codes": ["999.99.99.H99"]}
    assert "cơ quan" in foreign.message_vi
    assert refused("procedure", unknown_procedure).code == "unknown_procedure"
    assert refused("swapped", swapped_original).code == "invalid_package"

    import_bag(second, bag_dir)  # the sound bag goes in; then the same code again is refused, nothing doubled
    before = sorted(second.blobs.keys())
    with pytest.raises(Conflict) as again:
        import_bag(second, bag_dir)
    assert again.value.code == "dossier_exists" and sorted(second.blobs.keys()) == before


def _filed(first: Backends, tmp_path: Path) -> tuple[list[str], str]:
    codes = [_closed_dossier(first, tmp_path, f"ho so luu tru {n}") for n in (1, 2)]
    archivist = officer(first, "luutru.tranbien")
    files = gather_files(uow=first.uow(), clock=first.clock, actor=archivist, agency_code="000.60.01.H19",
                         year=MONDAY_9AM.year)
    assert [sorted(f.dossier_codes) for f in files] == [sorted(codes)]
    file_code = files[0].file.file_code
    with first.uow() as uow:
        file = uow.archival_files.get(file_code)
        assert file is not None
        entry = uow.archival_files.documents(file.id)[0]
    edit_document(uow=first.uow(), clock=first.clock, actor=archivist, file_code=file_code,
                  document_id=entry.document_id, values={"CodeNotation": "QĐ-UBND", "SignerPosition": "Chủ tịch"})
    move_file(uow=first.uow(), clock=first.clock, actor=archivist, file_code=file_code, to=FileState.CLOSED,
              note="Đủ hồ sơ")
    return codes, file_code


def _file_view(backends: Backends, file_code: str) -> dict[str, object]:
    with backends.uow() as uow:
        file = uow.archival_files.get(file_code)
        assert file is not None
        documents = uow.archival_files.documents(file.id)
        codes = uow.archival_files.dossier_codes_in(file_code)
    view = plain(file)
    view.pop("id")
    return {"file": view, "codes": codes, "documents": [plain(d) for d in documents]}


def test_an_archival_file_round_trips_as_one_bag(two: tuple[Backends, Backends], tmp_path: Path) -> None:
    """GIVEN an archival file of two dossiers, one document's metadata corrected by the archivist and the file closed
    WHEN it is exported as one bag and imported into a second hoso
    THEN the file comes back with its code, metadata, ordinals, corrections and history, and each dossier whole."""
    first, second = two
    codes, file_code = _filed(first, tmp_path)
    bag_dir = export_bag(first, file_code, tmp_path / "file-bag")
    assert bagit.Bag(str(bag_dir)).is_valid()
    assert "<DocTotal>2</DocTotal>" in (bag_dir / "data/metadata/file.xml").read_text(encoding="utf-8")
    for code in codes:
        assert (bag_dir / "data" / "dossiers" / code / "control-slip.pdf").is_file()

    imported = import_bag(second, bag_dir)
    assert sorted(imported.dossier_codes) == sorted(codes) and imported.file_code == file_code
    for code in codes:
        assert _comparable(second, code) == _comparable(first, code)
        assert _blob_bytes(second, code) == _blob_bytes(first, code)
    assert _file_view(second, file_code) == _file_view(first, file_code)
    assert [h["to"] for h in _file_view(second, file_code)["file"]["history"]] == ["open", "closed"]  # type: ignore


def test_a_file_bag_is_refused_whole_when_one_of_its_dossiers_exists(two: tuple[Backends, Backends],
                                                                     tmp_path: Path) -> None:
    first, second = two
    codes, file_code = _filed(first, tmp_path)
    bag_dir = export_bag(first, file_code, tmp_path / "file-bag")
    stray = tmp_path / "stray"  # a file naming a dossier its bag does not hold
    shutil.copytree(bag_dir, stray)
    _edit_record(stray, lambda d: d["dossier_codes"].append("000.60.01.H19-000000-0000"), "metadata/file.json")
    with pytest.raises(ValidationFailed) as caught_stray:
        import_bag(second, stray)
    assert caught_stray.value.code == "invalid_package"
    _nothing_stored(second, codes)

    one = export_dossier_bag(first, codes[1], tmp_path / "one")
    import_bag(second, one)
    kept = sorted(second.blobs.keys())
    with pytest.raises(Conflict) as caught:
        import_bag(second, bag_dir)
    assert caught.value.code == "dossier_exists" and caught.value.detail == {"dossier_codes": [codes[1]]}
    with second.uow() as uow:  # the other dossier did not come in alone, and no file was made
        assert uow.dossiers.get(codes[0]) is None and uow.archival_files.get(file_code) is None
    assert sorted(second.blobs.keys()) == kept



def test_the_command_line_exports_and_imports_with_audit_entries(two: tuple[Backends, Backends], tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    first, second = two
    code = _closed_dossier(first, tmp_path, "thua dat so 779")

    def use(backends: Backends, directory: str) -> None:
        for name, value in (("DATABASE_URL", backends.settings.effective_database_url),
                            ("DATA_DIR", str(tmp_path / directory)), ("SECRET_KEY", backends.settings.secret_key),
                            ("TASKS", "inline")):
            monkeypatch.setenv(f"HOSO_{name}", value)

    use(first, "a")
    assert main(["export-bag", code, str(tmp_path / "cli-bag")]) == 0
    assert bagit.Bag(str(tmp_path / "cli-bag")).is_valid()
    assert main(["export-bag", code, str(tmp_path / "cli-bag")]) != 0  # never over an existing folder
    use(second, "b")
    assert main(["import-bag", str(tmp_path / "cli-bag")]) == 0
    assert code in capsys.readouterr().out
    assert _comparable(second, code) == _comparable(first, code)
    fresh = build_backends(Settings())  # as the command line left it
    try:
        found = search_dossiers(uow=fresh.uow(), index=fresh.search, clock=fresh.clock,
                                actor=officer(fresh, "tiepnhan.tranbien"), text="779", filters=SearchFilters())
    finally:
        fresh.close()
    assert code in {hit.dossier_code for hit in found.results.hits}  # the index was rebuilt by the import
    for backends, action in ((first, "bag_exported"), (second, "bag_imported")):
        with backends.uow() as uow:
            trail, _ = uow.access_log.find(AccessLogFilter(username=OPERATOR.username))
        assert [(e.action.value, e.dossier_code) for e in trail] == [(action, code)]


def _headers(backends: Backends, username: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {backends.tokens.issue(officer(backends, username), now=None).token}"}


def _zip_with(source: bytes, target: Path, change: Callable[[zipfile.ZipFile, zipfile.ZipInfo, bytes], None]) -> bytes:
    """A copy of the zip `source`, each member passed through `change` (which writes it, changed or not)."""
    with zipfile.ZipFile(io.BytesIO(source)) as original, zipfile.ZipFile(target, "w") as copy:
        for member in original.infolist():
            change(copy, member, original.read(member))
    return target.read_bytes()


def test_the_api_exports_a_zipped_bag_and_imports_it_into_a_second_instance(two: tuple[Backends, Backends],
                                                                           tmp_path: Path) -> None:
    """GIVEN a closed dossier of the ward WHEN its archivist exports it through the API and the provincial archivist
    of another hoso uploads the zip THEN it validates, comes in whole, and damaged or unsafe zips are refused with a
    code, nothing stored."""
    first, second = two
    code = _closed_dossier(first, tmp_path, "thua dat so 780")
    with TestClient(create_app(backends=first)) as one, TestClient(create_app(backends=second)) as other:
        answer = one.post(f"/api/v1/archive/exports/{code}", headers=_headers(first, "luutru.tranbien"))
        assert answer.status_code == 200 and answer.headers["content-type"] == "application/zip"
        assert f"{code}.bag.zip" in answer.headers["content-disposition"]
        zipped = answer.content
        with zipfile.ZipFile(io.BytesIO(zipped)) as archive:
            archive.extractall(tmp_path / "unzipped")
        assert bagit.Bag(str(tmp_path / "unzipped" / code)).is_valid()
        assert list((first.settings.data_dir / "work").iterdir()) == []  # the scratch copy went with the response

        province = _headers(second, "luutru.tinh")

        def upload(content: bytes) -> Any:
            return other.post("/api/v1/archive/imports", headers=province,
                              files={"file": ("bag.zip", content, "application/zip")})

        def flip_original(copy: zipfile.ZipFile, member: zipfile.ZipInfo, data: bytes) -> None:
            copy.writestr(member, data[:-1] + bytes([data[-1] ^ 1]) if "/originals/" in member.filename else data)

        def escape(copy: zipfile.ZipFile, member: zipfile.ZipInfo, data: bytes) -> None:
            copy.writestr(member, data)
            if member.filename.endswith("bagit.txt"):
                copy.writestr("../../evil.txt", b"x")

        for content, problem in ((_zip_with(zipped, tmp_path / "flipped.zip", flip_original), "checksum"),
                                 (_zip_with(zipped, tmp_path / "escape.zip", escape), "path_outside"),
                                 (b"not a zip at all", "not_zip")):
            refused = upload(content)
            assert refused.status_code == 422 and refused.json()["code"] == "invalid_bag", refused.text
            assert refused.json()["detail"]["problem"] == problem
            _nothing_stored(second, [code])
        assert not (second.settings.data_dir / "evil.txt").exists()

        created = upload(zipped)
        assert created.status_code == 201, created.text
        assert created.json() == {"dossier_codes": [code], "file_code": None}
        again = upload(zipped)
        assert again.status_code == 409 and again.json()["code"] == "dossier_exists"
    assert _comparable(second, code) == _comparable(first, code)
    with second.uow() as uow:
        trail, _ = uow.access_log.find(AccessLogFilter(username="luutru.tinh"))
    assert [(e.action.value, e.dossier_code) for e in trail] == [("bag_imported", code)]
