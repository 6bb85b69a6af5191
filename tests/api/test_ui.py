"""The web UI under /ui/ — the officers' app and the citizens' lookup page (/tra-cuu): served, self-contained,
and every UI string exists in both languages.

The JavaScript is read as text: module imports are followed from app.js (and from lookup.js), i18n keys are
taken from the `t("...")` calls and compared with the `vi` and `en` dictionaries in i18n.js (lookup.js keeps
its own pair).
"""

from __future__ import annotations

import re
from enum import StrEnum
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient

from records.access import PrincipalKind, Reason, Role, Scope
from records.access_log import AccessKind
from records.archival_files import FileState
from records.disposition import DispositionState
from records.documents import DocumentStatus, PageSource
from records.dossiers import ApplicantKind, Channel, DossierState, Party, Timeliness
from records.fixity import Outcome
from records.holds import HoldScope
from records.procedures import DocumentType
from records.retention import EndAction, RetentionState
from records.shares import ShareStatus
from records.webhooks import DeliveryStatus, EventType

IMPORT = re.compile(r"""^\s*(?:import|export)\b[^;]*?\bfrom\s+["']([^"']+)["']""", re.MULTILINE | re.DOTALL)
T_CALL = re.compile(r"""(?<![\w.$])t\(\s*(?:"([^"]+)"|'([^']+)')""")
# t(`state.${value}`): a key built from an API enum value; allowed only for a namespace of ENUM_NAMESPACES
ENUM_T_CALL = re.compile(r"""(?<![\w.$])t\(\s*`(\w+)\.\$\{[^}`]+\}`\s*\)""")
ANY_T_CALL = re.compile(r"""(?<![\w.$])t\(\s*(.)""")
DICT_KEY = re.compile(r"""^\s*"([^"]+)":\s""", re.MULTILINE)
PLACEHOLDER = re.compile(r"\{(\w+)\}")
EXTERNAL_URL = re.compile(r"https?://", re.IGNORECASE)
JS_TYPES = ("text/javascript", "application/javascript")

ENUM_NAMESPACES: dict[str, type[StrEnum]] = {
    "state": DossierState, "role": Role, "channel": Channel, "kind": ApplicantKind, "party": Party,
    "timeliness": Timeliness, "doc_status": DocumentStatus, "doc_type": DocumentType, "page_source": PageSource,
    "access_reason": Reason, "access_action": AccessKind, "principal_kind": PrincipalKind, "share_status": ShareStatus,
    "scope": Scope, "event_type": EventType, "delivery_status": DeliveryStatus, "archive.action": EndAction,
    "archive.rstate": RetentionState, "archive.pstate": DispositionState, "archive.scope": HoldScope,
    "archive.fstate": FileState, "archive.outcome": Outcome,
}


class _Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.html_lang: str | None = None
        self.scripts: list[dict[str, str | None]] = []
        self.links: list[dict[str, str | None]] = []
        self.charset: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag == "html":
            self.html_lang = named.get("lang")
        elif tag == "script":
            self.scripts.append(named)
        elif tag == "link":
            self.links.append(named)
        elif tag == "meta" and "charset" in named:
            self.charset = named["charset"]


def _get(client: TestClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.text


def _modules(client: TestClient, entry: str = "/ui/app.js") -> dict[str, str]:
    """Every ES module reachable from `entry` by its imports: URL path → source."""
    found: dict[str, str] = {}
    pending = [entry]
    while pending:
        path = pending.pop()
        if path in found:
            continue
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["content-type"].split(";")[0] in JS_TYPES, path
        found[path] = response.text
        base = path.rsplit("/", 1)[0]
        for target in IMPORT.findall(response.text):
            assert target.startswith("./") or target.startswith("../"), f"{path} imports non-local {target}"
            parts = f"{base}/{target}".split("/")
            resolved: list[str] = []
            for part in parts:
                if part == "..":
                    resolved.pop()
                elif part not in (".", ""):
                    resolved.append(part)
            pending.append("/" + "/".join(resolved))
    return found


def _dictionary(source: str, name: str) -> dict[str, str]:
    match = re.search(rf"^const {name} = \{{\n(.*?)^\}};", source, re.MULTILINE | re.DOTALL)
    assert match, f"dictionary {name} not found"
    entries = re.findall(r"""^\s*"([^"]+)":\s*"((?:[^"\\]|\\.)*)",\s*$""", match.group(1), re.MULTILINE)
    assert len(entries) == len(DICT_KEY.findall(match.group(1))), f"{name}: one \"key\": \"text\", per line"
    keys = [key for key, _ in entries]
    assert len(keys) == len(set(keys)), f"duplicate keys in {name}"
    return dict(entries)


def test_root_redirects_to_the_ui(client: TestClient) -> None:
    response = client.get("/", follow_redirects=False)
    assert response.status_code in (302, 303, 307)
    assert response.headers["location"] == "/ui/"


def test_ui_page_is_vietnamese_utf8_html(client: TestClient) -> None:
    response = client.get("/ui/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert 'lang="vi"' in response.text
    page = _Assets()
    page.feed(response.text)
    assert page.html_lang == "vi"
    assert (page.charset or "").lower() == "utf-8"
    assert "Hồ sơ" in response.text  # served as UTF-8, not mangled


def test_assets_are_local_with_the_right_types(client: TestClient) -> None:
    html = _get(client, "/ui/")
    page = _Assets()
    page.feed(html)
    scripts = [s["src"] for s in page.scripts if s.get("src")]
    styles = [link["href"] for link in page.links if link.get("rel") == "stylesheet"]
    assert scripts == ["app.js"]
    assert all(s.get("type") == "module" for s in page.scripts)
    assert styles == ["app.css"]
    for reference in [*scripts, *styles, *(link.get("href") or "" for link in page.links)]:
        assert not reference.startswith("//") and not EXTERNAL_URL.match(reference), reference

    css = client.get("/ui/app.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert not EXTERNAL_URL.search(css.text) and "@import" not in css.text

    modules = _modules(client)
    assert {"/ui/app.js", "/ui/api.js", "/ui/i18n.js", "/ui/dom.js"} <= set(modules)
    # every view module is reached from app.js, so the checks below cover it
    for view in ("dossiers", "intake", "detail", "documents", "search", "late", "stats", "login", "linked", "shares",
                 "shared", "access_log", "integrations", "webhooks", "webhook_deliveries", "pdf", "upload"):
        assert f"/ui/views/{view}.js" in modules, view
    assert not EXTERNAL_URL.search(html)
    for path, source in modules.items():
        assert not EXTERNAL_URL.search(source), f"{path} mentions an external URL"


def test_data_never_goes_through_html_parsing(client: TestClient) -> None:
    for path, source in _modules(client).items():
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
            assert sink not in source, f"{path} uses {sink}"


def test_search_snippets_are_built_from_text_nodes(client: TestClient) -> None:
    """Highlight snippets (escaped text with <mark>) are split on the tags and unescaped by hand, not parsed."""
    search = _modules(client)["/ui/views/search.js"]
    assert "split(/(<mark>|<\\/mark>)/)" in search
    assert "createTextNode" in search and 'h("mark"' in search
    for entity in ("&amp;", "&lt;", "&gt;", "&quot;", "&#x27;", "&#39;"):
        assert entity in search, entity
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "DOMParser", "createContextualFragment"):
        assert sink not in search, sink


def test_search_hits_cost_no_requests_of_their_own(client: TestClient) -> None:
    """Every read of a dossier is written to the access log: the results show the labels the hits carry
    (dossier, document_title) instead of opening each hit's dossier and documents."""
    search = _modules(client)["/ui/views/search.js"]
    assert search.count("api.get(") == 1 and 'api.get("/search"' in search
    assert "api.request(" not in search
    assert "hit.dossier" in search and "document_title" in search


def test_every_i18n_key_exists_in_both_languages(client: TestClient) -> None:
    modules = _modules(client)
    i18n = modules["/ui/i18n.js"]
    vi = _dictionary(i18n, "vi")
    en = _dictionary(i18n, "en")
    assert set(vi) == set(en), f"only vi: {set(vi) - set(en)}; only en: {set(en) - set(vi)}"
    for key in vi:
        assert set(PLACEHOLDER.findall(vi[key])) == set(PLACEHOLDER.findall(en[key])), key
        assert vi[key].strip() and en[key].strip(), key

    used: set[str] = set()
    for path, source in modules.items():
        used |= {a or b for a, b in T_CALL.findall(source)}
        if path != "/ui/i18n.js":  # i18n.js builds enum keys (state.<value>…), checked below
            for first in ANY_T_CALL.findall(source):
                assert first in "\"'", f"{path}: t() called with a computed key; use a literal"
    assert len(used) > 100
    assert used - set(vi) == set(), f"missing in vi: {sorted(used - set(vi))}"
    assert used - set(en) == set(), f"missing in en: {sorted(used - set(en))}"

    for namespace, enum in ENUM_NAMESPACES.items():
        for member in enum:
            key = f"{namespace}.{member.value}"
            assert key in vi and key in en, key


@pytest.mark.parametrize("language", ["vi", "en"])
def test_api_errors_follow_the_language_the_ui_sends(client: TestClient, language: str) -> None:
    response = client.get("/api/v1/auth/me", headers={"Accept-Language": language})
    assert response.status_code == 401
    body = response.json()
    assert body["code"] and body["message"]
    assert ("Not signed in" in body["message"]) is (language == "en")


# --- the citizens' lookup page ------------------------------------------------------------------------------

LOOKUP_PAGE = "/ui/tra-cuu.html"
LOOKUP_MODULE = "/ui/lookup.js"


def test_the_lookup_address_on_the_receipt_leads_to_the_lookup_page(client: TestClient) -> None:
    response = client.get("/tra-cuu", follow_redirects=False)
    assert response.status_code in (302, 303, 307)
    assert response.headers["location"] == LOOKUP_PAGE
    assert client.get("/tra-cuu").status_code == 200


def test_the_lookup_page_is_vietnamese_local_and_asks_for_no_sign_in(client: TestClient) -> None:
    html = _get(client, LOOKUP_PAGE)
    page = _Assets()
    page.feed(html)
    assert page.html_lang == "vi" and (page.charset or "").lower() == "utf-8"
    assert "Tra cứu hồ sơ" in html
    assert [s["src"] for s in page.scripts] == ["lookup.js"]
    assert all(s.get("type") == "module" for s in page.scripts)
    assert [link["href"] for link in page.links if link.get("rel") == "stylesheet"] == ["app.css"]
    assert '<meta name="referrer" content="no-referrer">' in html  # signed links stay off other sites' logs
    assert not EXTERNAL_URL.search(html)
    modules = _modules(client, LOOKUP_MODULE)
    for path, source in modules.items():
        assert not EXTERNAL_URL.search(source), f"{path} mentions an external URL"
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
            assert sink not in source, f"{path} uses {sink}"
    lookup = modules[LOOKUP_MODULE]
    assert '"/public/lookup"' in lookup and "auth: false" in lookup
    assert 'views/' not in "".join(modules)  # none of the officers' screens come along
    assert lookup.count('"aria-live"') >= 2 and '"aria-invalid"' in lookup and "focus()" in lookup


def test_every_lookup_page_string_exists_in_both_languages(client: TestClient) -> None:
    lookup = _modules(client, LOOKUP_MODULE)[LOOKUP_MODULE]
    vi = _dictionary(lookup, "vi")
    en = _dictionary(lookup, "en")
    assert set(vi) == set(en), f"only vi: {set(vi) - set(en)}; only en: {set(en) - set(vi)}"
    for key in vi:
        assert set(PLACEHOLDER.findall(vi[key])) == set(PLACEHOLDER.findall(en[key])), key
        assert vi[key].strip() and en[key].strip(), key
    used = {a or b for a, b in T_CALL.findall(lookup)}
    assert len(used) > 30
    assert used - set(vi) == set(), f"missing: {sorted(used - set(vi))}"
    calls = lookup.replace("function t(", "function translate(")  # its own definition is not a call
    namespaces = set(ENUM_T_CALL.findall(calls))
    assert namespaces == {"state"}
    firsts = ANY_T_CALL.findall(calls)
    assert all(first in "\"'" for first in firsts if first != "`"), "t() with a computed key; use a literal"
    assert firsts.count("`") == len(ENUM_T_CALL.findall(calls)), "t(`...`) only for enum labels"
    for namespace in namespaces:
        for member in ENUM_NAMESPACES[namespace]:
            key = f"{namespace}.{member.value}"
            assert key in vi and key in en, key
