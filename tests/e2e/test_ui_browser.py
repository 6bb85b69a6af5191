"""The officers' web UI in a real browser: Debian's Chromium, driven by Playwright, against the real server.

The server is uvicorn in a thread on a free port, over a fresh SQLite database with the demo data (dossiers
included) and background jobs run inline. Chromium comes from the Debian package (`make test` installs it);
Playwright never downloads a browser.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, expect, sync_playwright

from api.app import create_app
from infra.demo import load_demo
from infra.settings import Settings
from infra.wiring import build_backends
from tests.support.databases import fresh_database

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PASSWORD = "ui-browser-password"
SECRET = "ui-browser-secret-key-0123456789abcdefghij"
TIMEOUT_MS = 15_000
RECEIPT_SECRET = re.compile(r"^[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{2}$")
THREE_IN_ONE = "2.001023"
LAND_CHANGE = "1.012759"  # a land dossier of the demo data, received at phường Trấn Biên
LAND_SYSTEM = "HT.DATDAI.H19"


@dataclass(frozen=True)
class Server:
    url: str


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    directory = tmp_path_factory.mktemp("ui-browser")
    with fresh_database("sqlite", directory) as url:
        backends = build_backends(Settings(database_url=url, data_dir=directory, secret_key=SECRET, tasks="inline"))
        load_demo(backends, password=PASSWORD)
        port = _free_port()
        uvicorn_server = uvicorn.Server(uvicorn.Config(create_app(backends=backends), host="127.0.0.1", port=port,
                                                       log_level="warning", lifespan="off"))
        thread = threading.Thread(target=uvicorn_server.run, name="ui-browser-server", daemon=True)
        thread.start()
        deadline = time.monotonic() + 30
        while not uvicorn_server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
            time.sleep(0.05)
        try:
            yield Server(f"http://127.0.0.1:{port}")
        finally:
            uvicorn_server.should_exit = True
            thread.join(timeout=30)
            backends.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (the Debian package `chromium`; `make test` installs it)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    context.set_default_timeout(TIMEOUT_MS)
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    # The server sends a strict Content-Security-Policy: anything it blocks is reported on the console.
    violations: list[str] = []
    opened.on("console", lambda message: violations.append(message.text)
              if "Content Security Policy" in message.text else None)
    yield opened
    context.close()
    assert errors == [], f"JavaScript errors in the page: {errors}"
    assert violations == [], f"Content-Security-Policy violations: {violations}"


def _sign_in(page: Page, server: Server, username: str) -> None:
    page.goto(f"{server.url}/ui/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("heading", name="Hồ sơ", exact=True)).to_be_visible()


def test_three_in_one_intake_sharing_and_the_linked_agency_view(page: Page, server: Server) -> None:
    """GIVEN reception at phường Trấn Biên
    WHEN they receive a "3 in 1" dossier and share a land dossier with the land information system
    THEN the receipt secret and the three linked dossiers are shown, the share is listed as active, and the
    residence police (one of the linked agencies) see the group dossier as a linked dossier, without sharing."""
    _sign_in(page, server, "tiepnhan.tranbien")

    # Intake: the linked procedures are offered, all checked.
    page.get_by_role("link", name="Tiếp nhận hồ sơ").click()
    page.get_by_label("Thủ tục").select_option(THREE_IN_ONE)
    linked = page.locator("fieldset.linked-choices input[type=checkbox]")
    expect(linked).to_have_count(3)
    for index in range(3):
        expect(linked.nth(index)).to_be_checked()
    page.get_by_label("Họ tên / tên tổ chức").fill("Trần Thị Bé")
    page.get_by_label("Số định danh cá nhân (CCCD, 12 chữ số)").fill("075085009876")
    page.get_by_role("button", name="Tiếp nhận", exact=True).click()

    result = page.locator(".result-card")
    expect(result.get_by_role("heading", name="Đã tiếp nhận hồ sơ")).to_be_visible()
    expect(page.locator("#receipt-secret")).to_have_text(RECEIPT_SECRET)
    expect(result.locator(".linked-created tbody tr")).to_have_count(3)
    expect(result.get_by_role("button", name="In giấy tiếp nhận")).to_be_visible()
    group_code = result.locator("dd a.code").first.inner_text()

    # The land flow: open the demo land dossier and share it with the land information system.
    page.goto(f"{server.url}/ui/#/dossiers?procedure={LAND_CHANGE}")
    page.locator(".table-wrap tbody a.code").first.click()
    shares = page.locator("#shares")
    shares.get_by_text("Chia sẻ với cơ quan khác").click()
    shares.get_by_label("Cơ quan, hệ thống được chia sẻ").select_option(LAND_SYSTEM)
    shares.get_by_label("Mục đích").fill("Đối chiếu thửa đất trước khi cấp giấy")
    shares.get_by_role("button", name="Chia sẻ", exact=True).click()
    expect(shares.get_by_role("status")).to_contain_text("Đã chia sẻ hồ sơ")
    row = shares.locator("tbody tr").filter(has_text="Đối chiếu thửa đất trước khi cấp giấy")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Đang hiệu lực")
    expect(row).to_contain_text("Hệ thống thông tin đất đai")

    # The residence police read the group dossier because they work on one of its linked dossiers.
    page.get_by_role("button", name="Đăng xuất").click()
    _sign_in(page, server, "xuly.congan")
    page.goto(f"{server.url}/ui/#/dossiers/{group_code}")
    expect(page.locator(".access-reason")).to_contain_text("Hồ sơ liên thông")
    expect(page.locator(".group-panel tbody tr")).to_have_count(3)
    expect(page.get_by_role("heading", name="Quá trình xử lý")).to_be_visible()
    expect(page.locator("#shares")).to_have_count(0)  # a linked agency may read, not pass the papers on
