"""The audit chain: every write and every recorded read is chained by SHA-256; the database refuses changes to it;
`hoso audit verify` names the first entry someone changed anyway, and notices a cut-off tail."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from infra.cli import main
from infra.wiring import Backends
from records.clock import FixedClock
from records.dossiers import Applicant, ApplicantKind, Channel, DossierState
from records.services.audit_chain import checkpoint_audit_chain, verify_audit_chain
from records.services.dossiers import get_dossier, transition_dossier
from records.services.intake import receive_dossier
from tests.archive.instances import instance, officer
from tests.conftest import BACKEND_PARAMS
from tests.support.factories import LAND_FIRST_CERTIFICATE, MONDAY_9AM


@pytest.fixture(params=BACKEND_PARAMS)
def hoso(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Backends]:
    with instance(request.param, tmp_path / "hoso") as backends:
        backends.clock = FixedClock(MONDAY_9AM)
        for name, value in (("DATABASE_URL", backends.settings.effective_database_url),
                            ("DATA_DIR", str(tmp_path / "hoso")), ("SECRET_KEY", backends.settings.secret_key)):
            monkeypatch.setenv(f"HOSO_{name}", value)  # `hoso audit verify` reads the same instance
        yield backends


def _work(backends: Backends) -> str:
    desk, clerk = officer(backends, "tiepnhan.tranbien"), officer(backends, "xuly.tranbien")
    code = receive_dossier(uow=backends.uow(), clock=backends.clock, calendar=backends.calendar, actor=desk,
                           procedure_code=LAND_FIRST_CERTIFICATE,
                           applicant=Applicant(ApplicantKind.PERSON, "Lý Thị Hoa", "075190001111"),
                           channel=Channel.COUNTER, received_at=backends.clock.now(),
                           signer=backends.signer).dossier.code
    transition_dossier(uow=backends.uow(), clock=backends.clock, calendar=backends.calendar, actor=desk, code=code,
                       to=DossierState.PROCESSING)
    get_dossier(uow=backends.uow(), clock=backends.clock, actor=clerk, code=code)
    return code


def _entry_ids(backends: Backends, action: str) -> list[int]:
    with backends.engine.connect() as conn:
        return [r.id for r in conn.execute(text("SELECT id FROM access_log WHERE action = :a ORDER BY id"),
                                           {"a": action})]


def _allow_tampering(backends: Backends) -> None:
    """What an attacker with the database owner's rights does first."""
    with backends.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE access_log DISABLE TRIGGER USER"))
        else:
            conn.execute(text("DROP TRIGGER access_log_no_update"))
            conn.execute(text("DROP TRIGGER access_log_no_delete"))


def test_writes_and_reads_are_chained_and_verify(hoso: Backends, capsys: pytest.CaptureFixture[str]) -> None:
    code = _work(hoso)
    with hoso.engine.connect() as conn:
        actions = [r.action for r in conn.execute(text("SELECT action FROM access_log WHERE dossier_code = :c "
                                                       "ORDER BY id"), {"c": code})]
    assert actions == ["dossier_received", "transition", "view"]
    assert main(["audit", "verify"]) == 0
    assert "intact" in capsys.readouterr().out


def test_the_database_refuses_to_change_or_delete_an_entry(hoso: Backends) -> None:
    _work(hoso)
    entry = _entry_ids(hoso, "transition")[0]
    for statement in (f"UPDATE access_log SET reason = 'x' WHERE id = {entry}",
                      f"DELETE FROM access_log WHERE id = {entry}"):
        with pytest.raises(Exception, match="append-only"), hoso.engine.begin() as conn:
            conn.execute(text(statement))
    assert verify_audit_chain(uow=hoso.uow(), blobs=hoso.blobs, clock=hoso.clock).intact


def test_one_changed_byte_is_named_by_audit_verify(hoso: Backends, capsys: pytest.CaptureFixture[str]) -> None:
    """GIVEN a chain with a transition entry in the middle
    WHEN someone with the database owner's rights changes one byte of that entry
    THEN `hoso audit verify` exits non-zero, names that entry, and an archive alert is raised."""
    _work(hoso)
    entry = _entry_ids(hoso, "transition")[0]
    _allow_tampering(hoso)
    with hoso.engine.begin() as conn:
        conn.execute(text("UPDATE access_log SET username = 'tiepnhan.tranbieN' WHERE id = :i"), {"i": entry})
    capsys.readouterr()
    assert main(["audit", "verify", "--json"]) == 1
    result = json.loads(capsys.readouterr().out)
    assert (result["first_broken_id"], result["problem"]) == (entry, "content_changed")
    assert main(["audit", "verify"]) == 1
    printed = capsys.readouterr().out
    assert f"First broken entry: #{entry}." in printed and f"{result['checked']} entries checked" in printed
    with hoso.uow() as uow:
        alerts, _ = uow.archive_alerts.find(agencies=None, include_acknowledged=False, kind="audit_chain_broken")
    assert [a.subject for a in alerts] == [f"entry:{entry}"]


def test_a_removed_entry_and_a_cut_off_tail_are_detected(hoso: Backends) -> None:
    code = _work(hoso)
    assert checkpoint_audit_chain(uow=hoso.uow(), blobs=hoso.blobs, clock=hoso.clock) is not None
    first, *_ = _entry_ids(hoso, "dossier_received")
    _allow_tampering(hoso)
    with hoso.engine.begin() as conn:  # cut off the last entry (the read), which the checkpoint covers
        conn.execute(text("DELETE FROM access_log WHERE id = (SELECT MAX(id) FROM access_log)"))
    result = verify_audit_chain(uow=hoso.uow(), blobs=hoso.blobs, clock=hoso.clock)
    assert result.problem == "tail_missing" and result.first_broken_id is None
    with hoso.engine.begin() as conn:  # now also remove an entry from the middle
        conn.execute(text("DELETE FROM access_log WHERE id = :i"), {"i": first})
    result = verify_audit_chain(uow=hoso.uow(), blobs=hoso.blobs, clock=hoso.clock)
    assert result.problem == "link_broken" and result.first_broken_id == first + 1
    assert code
