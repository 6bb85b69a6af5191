"""An unrelated agency reads nothing it should not, through any endpoint.

The walk takes every operation of the OpenAPI document (a new endpoint is walked as soon as it exists, and the
test fails until it is given realistic path values and, for writes, a valid body). It calls each one as users
and systems of agencies that took no part in the dossiers — an officer and a leader of xã Tân Phú, and the
tax system's service token — on real ids of a land dossier (shared with the land registry), a "3 in 1" group
and their papers, and again on ids that do not exist. It asserts that:

* dossier-specific answers are refusals, the same status and code for a real id as for a made-up one (no
  oracle), and no body names the people, papers, purposes or other dossiers involved;
* lists, searches, counts, facets and statistics count none of it;
* afterwards nothing has changed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime, time, timedelta
from itertools import product
from typing import Any

import pytest
from fastapi.testclient import TestClient

from infra.wiring import Backends
from records.archive_alerts import ArchiveAlert
from records.clock import VN_TZ, FixedClock
from records.services.alerts import scan_deadlines
from tests.api.helpers import intake, move
from tests.api.test_documents import APPLICATION, upload
from tests.archive.test_disposition import closed_birth_registration
from tests.support.factories import LAND_OFFICE, TRAN_BIEN
from tests.support.papers import born_digital_pdf

Auth = Callable[[str], dict[str, str]]
TAN_PHU = "000.60.09.H19"
APPLICANT, CCCD = "Hoàng Thị Thanh Xuân", "075190008642"
CHILD = "Vũ Minh Khôi"
PURPOSE = "Đối chiếu hồ sơ địa chính thửa 342"
TITLE, GROUP_TITLE = "Đơn đăng ký đất đai của bà Xuân", "Tờ khai khai sinh bé Khôi"
SUBJECT = "Cấp giấy chứng nhận thửa đất số 342"

# Answers a refusal may give; anything else on a dossier-specific endpoint is a failure.
REFUSED = {401, 403, 404, 405}
# Endpoints that any signed-in officer may call: their answers must simply contain nothing of the dossiers.
GLOBAL = {
    ("get", "/healthz"), ("get", "/readyz"), ("get", "/api/v1/auth/me"), ("get", "/api/v1/agencies"),
    ("get", "/api/v1/agencies/{code}"), ("get", "/api/v1/procedures"), ("get", "/api/v1/procedures/export"),
    ("get", "/api/v1/procedures/coverage"), ("get", "/api/v1/procedures/{code}"), ("get", "/api/v1/dossiers"),
    ("get", "/api/v1/dossiers/late"), ("get", "/api/v1/search"), ("get", "/api/v1/shares/received"),
    ("get", "/api/v1/alerts"), ("get", "/api/v1/stats/timeliness"), ("get", "/api/v1/users"),
    ("get", "/api/v1/integrations"), ("get", "/api/v1/access-log"), ("get", "/api/v1/webhooks"),
    ("get", "/api/v1/archive/alerts"), ("get", "/api/v1/archive/schedules"), ("get", "/api/v1/archive/retention/due"),
    ("get", "/api/v1/archive/holds"), ("get", "/api/v1/archive/dispositions"), ("get", "/api/v1/archive/files"),
    ("get", "/api/v1/archive/files.pdf"), ("get", "/api/v1/archive/fixity"), ("post", "/api/v1/archive/audit/verify"),
    ("get", "/api/v1/archive/audit"),
}


class World:
    """What the owners made: real ids, the texts that must not leak, and how to read the state back."""

    def __init__(self, client: TestClient, auth: Auth, clock: FixedClock, backends: Backends) -> None:
        desk, commune, land = auth("tiepnhan.tranbien"), auth("xuly.tranbien"), auth("xuly.vpdkdd")
        admin = auth("quantri.tinh")
        self.owner = desk
        # The commune's own system is subscribed (at an address that refuses connections): events, deliveries.
        self.webhook = client.post("/api/v1/webhooks", headers=admin, json={
            "name": "Phần mềm một cửa phường Trấn Biên", "agency_code": TRAN_BIEN,
            "url": "http://127.0.0.1:9/hoso-events"}).json()["id"]
        self.land = intake(client, desk, applicant={"name": APPLICANT, "id_number": CCCD}, subject=SUBJECT)["code"]
        self.paper = upload(client, desk, self.land, born_digital_pdf(APPLICATION), "don-dat.pdf",
                            title=TITLE, document_type="application_form").json()["id"]
        move(client, desk, self.land, "processing")
        move(client, commune, self.land, "transferred", target_agency_code=LAND_OFFICE)
        self.share = client.post(f"/api/v1/dossiers/{self.land}/shares", headers=land, json={
            "grantee_agency_code": "HT.DATDAI.H19", "purpose": PURPOSE,
            "expires_at": (clock.now() + timedelta(days=30)).isoformat(), "allow_attach": True}).json()["id"]
        group = intake(client, desk, procedure="2.001023", applicant={"name": CHILD, "id_number": "075224000135"})
        self.group = group["code"]
        self.linked = [d["code"] for d in group["group"]["dossiers"]]
        self.group_paper = upload(client, desk, self.group, born_digital_pdf([["TỜ KHAI KHAI SINH", CHILD]]),
                                  "to-khai.pdf", title=GROUP_TITLE).json()["id"]
        self.account = client.post("/api/v1/integrations", headers=admin, json={
            "name": "Hệ thống đất đai", "agency_code": "HT.DATDAI.H19", "scopes": ["read"]}).json()["id"]
        with backends.uow() as uow:
            self.delivery = uow.webhooks.deliveries(subscription_id=self.webhook, status=None, since=None, limit=1,
                                                    offset=0)[0][0].id
        clock.advance(timedelta(days=40))  # everything is late now: the land office has alerts to see
        scan_deadlines(uow=backends.uow(), clock=clock, calendar=backends.calendar)
        with backends.uow() as uow:
            self.alert = uow.alerts.for_agencies(frozenset({LAND_OFFICE}), include_acknowledged=True, limit=1)[0].id
        with backends.uow() as uow:  # the ward's archive has a problem of its own to look at
            uow.begin_write()
            uow.archive_alerts.raise_once(ArchiveAlert(
                kind="deposit_due", subject=f"{TRAN_BIEN}.2025.07", message_vi="Sắp đến hạn nộp lưu.",
                message_en="Due for deposit soon.", raised_at=clock.now(), agency_code=TRAN_BIEN))
            self.archive_alert = uow.archive_alerts.find(agencies=frozenset({TRAN_BIEN}),
                                                         include_acknowledged=False)[0][0].id
            uow.commit()
        self._archive(client, auth, clock)
        self.secrets = [APPLICANT, CCCD, CHILD, PURPOSE, TITLE, GROUP_TITLE, SUBJECT, "don-dat.pdf", "to-khai.pdf",
                        "Hệ thống đất đai", self.land, self.group, *self.linked, self.paper, self.group_paper,
                        self.share, self.account, group["receipt_secret"], self.webhook, self.delivery,
                        "hoso-events", "Phần mềm một cửa phường Trấn Biên", self.old, "Trương Thị Bé", self.file,
                        "075199990000", "Yêu cầu của tòa án", self.hold, self.disposition]

    def _archive(self, client: TestClient, auth: Auth, clock: FixedClock) -> None:
        """The ward's archive: a birth registration closed six years ago under a 5-year schedule, proposed for
        destruction and gathered into an archival file; a hold on an applicant; the land dossier's export bag."""
        archivist, province = auth("luutru.tranbien"), auth("luutru.tinh")
        now = clock.at
        closed = datetime.combine(now.date().replace(year=now.year - 6), time(9), VN_TZ)
        self.old, _ = closed_birth_registration(client, auth, clock, closed_on=closed, word="lưu trữ phường")
        clock.at = now
        self.schedule = client.post("/api/v1/archive/schedules", headers=province, json={
            "procedure_code": "1.001193", "years": 5, "end_action": "destroy"}).json()["id"]
        self.disposition = client.post("/api/v1/archive/dispositions", headers=archivist, json={
            "dossier_codes": [self.old], "reason": "Hết hạn"}).json()["id"]
        self.file = client.post("/api/v1/archive/files/gather", headers=archivist, json={
            "agency_code": TRAN_BIEN, "year": closed.year}).json()["data"][0]["file_code"]
        self.hold = client.post("/api/v1/archive/holds", headers=archivist, json={
            "scope": "applicant", "target": "075199990000", "reason": "Yêu cầu của tòa án"}).json()["id"]
        self.bag = client.post(f"/api/v1/archive/exports/{self.land}", headers=auth("quantri.tinh")).content

    def path_values(self, path: str, name: str) -> list[tuple[str, str]]:
        """(real value, made-up value of the same shape) for a path parameter."""
        if path.startswith("/api/v1/agencies/"):
            return [(TRAN_BIEN, TRAN_BIEN)]  # reference data: not a secret
        if path.startswith("/api/v1/procedures/"):
            return [("1.012756", "1.012756")]
        made_up = {"code": f"{TRAN_BIEN}-260302-9999", "document_id": "0" * 32, "share_id": "f" * 32,
                   "account_id": "e" * 32, "alert_id": "999999", "page_number": "1", "webhook_id": "d" * 32,
                   "delivery_id": "c" * 32, "archive_alert_id": "999999", "schedule_id": "a" * 32,
                   "hold_id": "b" * 32, "disposition_id": "9" * 32, "file_code": f"{TRAN_BIEN}.2020.9.999999"}
        real = {"archive_alert_id": [str(self.archive_alert)], "schedule_id": [self.schedule], "hold_id": [self.hold],
                "disposition_id": [self.disposition], "file_code": [self.file],
                "code": [self.land, self.group, *self.linked], "document_id": [self.paper, self.group_paper],
                "share_id": [self.share], "account_id": [self.account], "alert_id": [str(self.alert)],
                "page_number": ["1"], "webhook_id": [self.webhook], "delivery_id": [self.delivery]}
        if name not in real:
            pytest.fail(f"{path}: give the walk a real and a made-up value for {{{name}}}")
        return [(value, made_up[name]) for value in real[name]]

    def state(self, client: TestClient) -> dict[str, Any]:
        """What the owners see: versions, states, papers, shares, the integration account."""
        seen: dict[str, Any] = {}
        admin_view = {"Authorization": self.owner["Authorization"]}
        for code in (self.land, self.group, *self.linked):
            dossier = client.get(f"/api/v1/dossiers/{code}", headers=admin_view).json()
            documents = client.get(f"/api/v1/dossiers/{code}/documents", headers=admin_view).json()
            seen[code] = (dossier["version"], dossier["state"], dossier["holder_agency_code"],
                          sorted(d["id"] for d in documents["data"]))
        return seen


def examples(world: World, clock: FixedClock) -> dict[tuple[str, str], dict[str, Any]]:
    """A valid request for every write: a refusal must come from the access rule, not from a malformed body."""
    later = (clock.now() + timedelta(days=10)).isoformat()
    pdf = born_digital_pdf([["Giấy tờ giả mạo"]])
    return {
        ("get", "/api/v1/search"): {"params": {"q": APPLICANT}},
        ("get", "/api/v1/dossiers"): {"params": {"applicant_id_number": CCCD}},
        ("get", "/api/v1/access-log"): {"params": {"dossier_code": world.land}},
        ("post", "/api/v1/auth/token"): {"data": {"username": "tiepnhan.tranbien", "password": "doan-mo"}},
        ("post", "/api/v1/agencies/import"): {"json": [{"code": TAN_PHU, "name": "Xã Tân Phú", "level": "commune"}]},
        ("post", "/api/v1/procedures/import"): {"json": []},
        ("post", "/api/v1/dossiers"): {"json": {"procedure_code": "1.012756", "agency_code": TRAN_BIEN,
                                                "applicant": {"name": "Kẻ Lạ", "id_number": "075085000999"}}},
        ("post", "/api/v1/dossiers/{code}/transitions"): {"json": {"to": "processing"}},
        ("post", "/api/v1/dossiers/{code}/extensions"): {"json": {"reason": "chậm", "new_due_at": later}},
        ("post", "/api/v1/dossiers/{code}/documents"): {"files": {"file": ("x.pdf", pdf, "application/pdf")}},
        ("post", "/api/v1/documents/{document_id}/retry"): {},
        ("post", "/api/v1/dossiers/{code}/shares"): {"json": {"grantee_agency_code": TAN_PHU, "purpose": "xem",
                                                              "expires_at": later}},
        ("post", "/api/v1/shares/{share_id}/revoke"): {"json": {"reason": "thu hồi"}},
        ("post", "/api/v1/alerts/{alert_id}/acknowledge"): {},
        ("post", "/api/v1/archive/alerts/{archive_alert_id}/acknowledge"): {},
        ("post", "/api/v1/archive/schedules"): {"json": {"procedure_code": "1.001193", "years": 10,
                                                          "end_action": "destroy"}},
        ("put", "/api/v1/archive/schedules/{schedule_id}"): {"json": {"procedure_code": "1.001193", "years": 10,
                                                                      "end_action": "destroy"}},
        ("post", "/api/v1/archive/retention/{code}/due-date"): {"json": {"due_on": "2040-01-01", "reason": "x"}},
        ("post", "/api/v1/archive/holds"): {"json": {"scope": "dossier", "target": world.land, "reason": "x"}},
        ("post", "/api/v1/archive/holds/{hold_id}/release"): {"json": {"reason": "x"}},
        ("post", "/api/v1/archive/dispositions"): {"json": {"dossier_codes": [world.old], "reason": "x"}},
        ("post", "/api/v1/archive/dispositions/{disposition_id}/approve"): {"json": {"password": "mat-khau-lanh-dao"}},
        ("post", "/api/v1/archive/dispositions/{disposition_id}/reject"): {"json": {"note": "x"}},
        ("post", "/api/v1/archive/files"): {"json": {"organ_id": TRAN_BIEN, "year": 2020, "notation": "X",
                                                      "title": "x", "maintenance": "05 năm"}},
        ("post", "/api/v1/archive/files/gather"): {"json": {"agency_code": TRAN_BIEN, "year": 2020}},
        ("post", "/api/v1/archive/files/{file_code}/dossiers"): {"json": {"remove": [world.old]}},
        ("post", "/api/v1/archive/files/{file_code}/state"): {"json": {"state": "closed"}},
        ("patch", "/api/v1/archive/files/{file_code}/documents/{document_id}"): {"json": {"Subject": "x"}},
        ("post", "/api/v1/archive/exports/{code}"): {},
        ("post", "/api/v1/archive/audit/verify"): {},
        ("post", "/api/v1/archive/imports"): {"files": {"file": ("bag.zip", world.bag, "application/zip")}},
        ("post", "/api/v1/users"): {"json": {"username": "ke.la", "full_name": "Kẻ Lạ", "agency_code": TRAN_BIEN,
                                             "roles": ["admin"], "password": "mat-khau-dai-du"}},
        ("post", "/api/v1/integrations"): {"json": {"name": "x", "agency_code": TRAN_BIEN, "scopes": ["read"]}},
        ("post", "/api/v1/integrations/{account_id}/revoke"): {},
        ("post", "/api/v1/integrations/{account_id}/rotate"): {},
        ("post", "/api/v1/dossiers/{code}/receipt"): {"params": {"format": "json"}},
        ("post", "/api/v1/webhooks"): {"json": {"name": "x", "agency_code": TAN_PHU, "url": "https://example.org/h"}},
        ("patch", "/api/v1/webhooks/{webhook_id}"): {"json": {"active": False}},
        ("post", "/api/v1/webhooks/{webhook_id}/rotate-secret"): {},
        ("post", "/api/v1/webhooks/{webhook_id}/replay"): {"json": {"since": clock.now().isoformat()}},
        ("post", "/api/v1/webhooks/deliveries/{delivery_id}/replay"): {},
        ("post", "/api/v1/public/lookup"): {"json": {"code": world.group, "secret": "AAAA-BBBB-CC"}},
        ("get", "/api/v1/public/documents/{document_id}/download"): {
            "params": {"expires": str(int((clock.now() + timedelta(minutes=5)).timestamp())), "signature": "0" * 64}},
    }


def operations(client: TestClient) -> Iterator[tuple[str, str]]:
    for path, methods in client.app.openapi()["paths"].items():  # type: ignore[attr-defined]
        for method in methods:
            yield method, path


def _fill(path: str, values: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path)


def _assert_no_leak(world: World, response: Any, asked: str, label: str) -> None:
    text = response.text
    for secret in world.secrets:
        if secret not in asked:  # echoing the id that was asked for tells nothing
            assert secret not in text, f"{label}: the answer names {secret!r}: {text[:300]}"


@pytest.fixture
def world(client: TestClient, auth: Auth, clock: FixedClock, backends: Backends) -> World:
    return World(client, auth, clock, backends)


@pytest.fixture
def strangers(client: TestClient, auth: Auth) -> dict[str, dict[str, str]]:
    admin = auth("quantri.tinh")
    created = client.post("/api/v1/users", headers=admin, json={
        "username": "lanhdao.tanphu", "full_name": "Trương Văn Lãnh", "agency_code": TAN_PHU, "roles": ["leader"],
        "password": "mat-khau-lanh-dao"})
    assert created.status_code == 201, created.text
    token = client.post("/api/v1/integrations", headers=admin, json={
        "name": "Hệ thống thuế", "agency_code": "HT.THUE.H19", "scopes": ["read", "attach"]}).json()["token"]
    archivist = client.post("/api/v1/users", headers=admin, json={
        "username": "luutru.tanphu", "full_name": "Lê Thị Lưu", "agency_code": TAN_PHU, "roles": ["archivist"],
        "password": "mat-khau-luu-tru"})
    assert archivist.status_code == 201, archivist.text
    return {"officer": auth("motcua.tanphu"), "leader": auth("lanhdao.tanphu"), "archivist": auth("luutru.tanphu"),
            "tax system": {"Authorization": f"Bearer {token}"}}


def test_every_endpoint_refuses_an_unrelated_agency_and_leaks_nothing(
        client: TestClient, world: World, strangers: dict[str, dict[str, str]], clock: FixedClock) -> None:
    before = world.state(client)
    bodies = examples(world, clock)
    walked = 0
    for (method, path), (who, headers) in product(operations(client), strangers.items()):
        names = re.findall(r"\{(\w+)\}", path)
        if method in {"post", "put", "patch", "delete"} and (method, path) not in bodies:
            pytest.fail(f"{method.upper()} {path}: add a valid example body to the walk")
        request = bodies.get((method, path), {})
        choices = [world.path_values(path, name) for name in names]
        for combination in product(*choices):
            real = _fill(path, {n: pair[0] for n, pair in zip(names, combination, strict=True)})
            fake = _fill(path, {n: pair[1] for n, pair in zip(names, combination, strict=True)})
            label = f"{who}: {method.upper()} {real}"
            answer = client.request(method, real, headers=headers, **request)
            walked += 1
            _assert_no_leak(world, answer, real + repr(request.get("json")), label)  # echoing what was sent is fine
            if (method, path) in GLOBAL:
                assert answer.status_code in {200} | REFUSED, label
                continue
            assert answer.status_code in REFUSED, f"{label}: {answer.status_code} {answer.text[:300]}"
            if names:
                twin = client.request(method, fake, headers=headers, **request)
                assert (answer.status_code, answer.json()["code"]) == (twin.status_code, twin.json()["code"]), (
                    f"{label}: a real id answers differently from a made-up one")
    assert walked > 100
    assert world.state(client) == before


@pytest.mark.parametrize("who", ["officer", "leader", "tax system"])
def test_lists_searches_counts_and_facets_hold_none_of_it(client: TestClient, world: World,
                                                          strangers: dict[str, dict[str, str]], who: str) -> None:
    headers = strangers[who]
    for query in (APPLICANT, "hoang thi thanh xuan", CCCD, CHILD, world.land, world.group, "thua dat so 342",
                  "to khai khai sinh"):
        found = client.get("/api/v1/search", params={"q": query}, headers=headers).json()
        assert (found["count"], found["data"]) == (0, []), query
        assert all(not counts for counts in found["facets"].values()), query
    assert client.get("/api/v1/search", params={"field": "Đất đai"}, headers=headers).json()["count"] == 0
    for path in ("/api/v1/dossiers", "/api/v1/dossiers/late", "/api/v1/shares/received"):
        assert client.get(path, headers=headers).json()["count"] == 0, path
    listed = client.get("/api/v1/dossiers", params={"applicant_id_number": CCCD}, headers=headers).json()
    assert listed["count"] == 0
    stats = client.get("/api/v1/stats/timeliness", params={"per_agency": True}, headers=headers)
    if stats.status_code == 200:
        assert sum(row["received"] for row in stats.json()["data"]) == 0
    alerts = client.get("/api/v1/alerts", params={"include_acknowledged": True}, headers=headers)
    assert alerts.status_code in {200, 403} and world.land not in alerts.text
