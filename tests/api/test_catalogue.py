"""Agencies with succession, the procedure catalogue's JSON import/export, and coverage figures."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

Auth = Callable[[str], dict[str, str]]


def test_agencies_show_levels_and_succession(client: TestClient, auth: Auth) -> None:
    headers = auth("xuly.tranbien")
    districts = client.get("/api/v1/agencies?level=district", headers=headers).json()
    assert districts["count"] == 11 and all(a["status"] == "abolished" for a in districts["data"])
    bien_hoa = client.get("/api/v1/agencies/000.00.31.H19", headers=headers).json()
    assert bien_hoa["current_successor"] == "000.60.01.H19" and bien_hoa["ended_on"] == "2025-07-01"
    tran_bien = client.get("/api/v1/agencies/000.60.01.H19", headers=headers).json()
    assert "000.00.31.H19" in tran_bien["predecessors"] and tran_bien["current_successor"] is None
    departments = client.get("/api/v1/agencies?level=department&status=active", headers=headers).json()
    assert departments["count"] >= 15
    missing = client.get("/api/v1/agencies/000.77.77.H19", headers=headers)
    assert missing.status_code == 404 and missing.json()["code"] == "agency_not_found"


def test_procedure_catalogue_round_trips_through_json(client: TestClient, auth: Auth) -> None:
    admin = auth("quantri.tinh")
    exported: list[dict[str, Any]] = client.get("/api/v1/procedures/export", headers=admin).json()
    land = next(p for p in exported if p["code"] == "1.012756")
    assert [s["agency"] for s in land["route"]] == ["receiving", "000.00.02.H19", "receiving"]
    assert land["retention_years"] is None  # land dossiers are kept permanently
    changed = {**land, "processing_days": 25, "route": [{**land["route"][0], "days": 3}, *land["route"][1:]]}
    result = client.post("/api/v1/procedures/import", json=[changed], headers=admin)
    assert result.status_code == 200 and result.json() == {"imported": 1}
    again = client.get("/api/v1/procedures/1.012756", headers=admin).json()
    assert again["processing_days"] == 25 and again["route"][0]["days"] == 3 and again["configured"] is True
    assert client.get("/api/v1/procedures/export", headers=admin).json() == [
        changed if p["code"] == "1.012756" else p for p in exported]


def test_a_bad_catalogue_import_changes_nothing(client: TestClient, auth: Auth) -> None:
    admin = auth("quantri.tinh")
    before = client.get("/api/v1/procedures/export", headers=admin).json()
    good = {"code": "9.000001", "name": "Thủ tục thử", "field": "Hộ tịch", "level": "commune",
            "processing_days": 3, "route": [{"agency": "receiving", "days": 3}],
            "required_papers": [{"name": "Tờ khai"}]}
    unknown_agency = {**good, "code": "9.000002", "route": [{"agency": "000.99.99.H19", "days": 3}]}
    too_long = {**good, "code": "9.000003", "route": [{"agency": "receiving", "days": 9}]}
    for bad, code in ((unknown_agency, "unknown_agency"), (too_long, "invalid_procedure")):
        response = client.post("/api/v1/procedures/import", json=[good, bad], headers=admin)
        assert response.status_code == 422 and response.json()["code"] == code
    assert client.get("/api/v1/procedures/export", headers=admin).json() == before
    officer = client.post("/api/v1/procedures/import", json=[good], headers=auth("xuly.tranbien"))
    assert officer.status_code == 403


def test_agency_import_rejects_cycles_and_dangling_successors(client: TestClient, auth: Auth) -> None:
    admin = auth("quantri.tinh")
    a = {"code": "000.70.01.H19", "name": "Xã A", "level": "commune", "status": "merged",
         "successor_code": "000.70.02.H19", "parent_code": "000.00.00.H19"}
    b = {**a, "code": "000.70.02.H19", "name": "Xã B", "successor_code": "000.70.01.H19"}
    cycle = client.post("/api/v1/agencies/import", json=[a, b], headers=admin)
    assert cycle.status_code == 422 and cycle.json()["code"] == "succession_cycle"
    dangling = client.post("/api/v1/agencies/import", json=[a], headers=admin)
    assert dangling.status_code == 422 and dangling.json()["code"] == "unknown_agency"
    assert client.get("/api/v1/agencies/000.70.01.H19", headers=admin).status_code == 404
    fine = {**b, "status": "active", "successor_code": None}
    assert client.post("/api/v1/agencies/import", json=[a, fine], headers=admin).json() == {"imported": 2}
    assert client.get("/api/v1/agencies/000.70.02.H19", headers=admin).json()["predecessors"] == ["000.70.01.H19"]


def test_coverage_counts_configured_against_published(client: TestClient, auth: Auth) -> None:
    headers = auth("lanhdao.tranbien")
    commune = client.get("/api/v1/procedures/coverage?agency_code=000.60.01.H19", headers=headers).json()
    row = commune["data"][0]
    published = client.get("/api/v1/procedures?agency_code=000.60.01.H19&published=true", headers=headers).json()
    assert row["published"] == published["count"]
    assert row["configured"] == sum(1 for p in published["data"] if p["configured"])
    assert 0 < row["ratio"] < 1
    everything = client.get("/api/v1/procedures/coverage", headers=headers).json()
    assert everything["published"] == sum(r["published"] for r in everything["data"])
    assert all(r["agency_code"] != "000.00.31.H19" for r in everything["data"])  # abolished: no desk
