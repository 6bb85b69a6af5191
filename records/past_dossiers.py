"""Past dossiers brought in from years of scanned archives (nhập hồ sơ cũ).

A past dossier arrives closed, with the dates its paper record carries. It is never walked through today's state
machine: its history holds two entries at those dates (received, and its final state) that say it was imported,
and its clocks are set from the record. What makes a row of an archive manifest acceptable lives here; reading
the manifest and the files is ingest's job (ingest.manifest), writing is the use case's
(records.services.past_import).
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

from records.access import Principal, PrincipalKind, Role
from records.calendar import WorkingCalendar
from records.clock import VN_TZ
from records.dossiers import (
    TERMINAL_STATES,
    Applicant,
    ApplicantKind,
    Channel,
    Dossier,
    DossierEvent,
    DossierState,
    Handover,
    Party,
    timeliness,
)
from records.errors import ValidationFailed
from records.identifiers import check_cccd, check_tax_code
from records.procedures import Procedure

S = DossierState
# A past archive holds dossiers that are done: a result ready or handed over, or ended without one.
IMPORTABLE_STATES = frozenset({S.RESOLVED, S.RESULT_RETURNED, S.REFUSED, S.WITHDRAWN, S.STOPPED})
CLOCK_SKEW = timedelta(minutes=5)
# A date without a time: received when the office opened, anything later at the end of the office day.
START_OF_DAY = time(8, 0)
END_OF_DAY = time(17, 0)
# Pre-2016 records carry the 9-digit identity card (CMND) instead of the 12-digit citizen number.
OLD_ID_CARD = re.compile(r"\d{9}")


def import_actor(agency_code: str) -> Principal:
    """Who the history and the audit trail name for an imported dossier."""
    return Principal("system.import", agency_code, frozenset({Role.ADMIN}), full_name="Nhập hồ sơ cũ",
                     kind=PrincipalKind.INTEGRATION)


def rejected(code: str, message_vi: str, message_en: str, **detail: object) -> ValidationFailed:
    """A row of the manifest refused, with a reason an operator can act on."""
    return ValidationFailed(message_vi, message_en, code=code, detail=dict(detail))


def fold(text: str) -> str:
    """Lower case, no diacritics, words joined by '_': 'Ngày tiếp nhận' → 'ngay_tiep_nhan'."""
    text = unicodedata.normalize("NFD", text.strip().lower().replace("đ", "d"))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


_STATE_NAMES: dict[str, DossierState] = {
    **{state.value: state for state in DossierState},
    "da_tra_ket_qua": S.RESULT_RETURNED, "tra_ket_qua": S.RESULT_RETURNED,
    "da_co_ket_qua": S.RESOLVED, "co_ket_qua": S.RESOLVED, "da_giai_quyet": S.RESOLVED,
    "tu_choi": S.REFUSED, "tu_choi_giai_quyet": S.REFUSED, "khong_tiep_nhan": S.REFUSED,
    "da_rut_ho_so": S.WITHDRAWN, "rut_ho_so": S.WITHDRAWN, "da_rut": S.WITHDRAWN,
    "dung_giai_quyet": S.STOPPED, "dung_xu_ly": S.STOPPED,
    "dang_giai_quyet": S.PROCESSING, "da_tiep_nhan": S.RECEIVED, "yeu_cau_bo_sung": S.SUPPLEMENT_REQUESTED,
}
_KIND_NAMES = {"person": ApplicantKind.PERSON, "ca_nhan": ApplicantKind.PERSON, "cong_dan": ApplicantKind.PERSON,
               "organisation": ApplicantKind.ORGANISATION, "organization": ApplicantKind.ORGANISATION,
               "to_chuc": ApplicantKind.ORGANISATION, "doanh_nghiep": ApplicantKind.ORGANISATION}
_CHANNEL_NAMES = {"counter": Channel.COUNTER, "truc_tiep": Channel.COUNTER, "online": Channel.ONLINE,
                  "truc_tuyen": Channel.ONLINE, "post": Channel.POST, "buu_chinh": Channel.POST,
                  "qua_dich_vu_buu_chinh": Channel.POST}


def parse_state(text: str) -> DossierState:
    """The final state, by its code (`result_returned`) or its Vietnamese name (`Đã trả kết quả`)."""
    state = _STATE_NAMES.get(fold(text))
    if state is None:
        raise rejected("unknown_state", f"Trạng thái '{text}' không có trong danh mục.",
                       f"Unknown state '{text}'.", state=text,
                       allowed=sorted(s.value for s in IMPORTABLE_STATES))
    if state not in IMPORTABLE_STATES:
        raise rejected("state_not_closed", f"Chỉ nhập hồ sơ đã kết thúc; trạng thái '{text}' chưa kết thúc.",
                       f"Only closed dossiers are imported; '{text}' is still open.", state=state.value,
                       allowed=sorted(s.value for s in IMPORTABLE_STATES))
    return state


def parse_applicant_kind(text: str) -> ApplicantKind:
    kind = _KIND_NAMES.get(fold(text)) if text.strip() else ApplicantKind.PERSON
    if kind is None:
        raise rejected("unknown_applicant_kind", f"Loại người nộp '{text}' không hợp lệ (cá nhân / tổ chức).",
                       f"Unknown applicant kind '{text}' (person / organisation).", applicant_kind=text)
    return kind


def parse_channel(text: str) -> Channel:
    channel = _CHANNEL_NAMES.get(fold(text)) if text.strip() else Channel.COUNTER
    if channel is None:
        raise rejected("unknown_channel", f"Kênh nộp '{text}' không hợp lệ (trực tiếp / trực tuyến / bưu chính).",
                       f"Unknown channel '{text}' (counter / online / post).", channel=text)
    return channel


_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y")
_DATETIME_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S")


def parse_instant(text: str, *, field: str, end_of_day: bool) -> datetime:
    """ISO 8601 (`2019-03-15`, `2019-03-15 14:30`, with or without an offset) or Vietnamese day-first
    (`15/03/2019`, `15/03/2019 14:30`). Without an offset the time is Vietnam's; without a time, 08:00 for
    `received_at` and 17:00 for the other dates."""
    value = text.strip()
    for pattern in _DATE_FORMATS:
        try:
            day = datetime.strptime(value, pattern).date()
        except ValueError:
            continue
        return datetime.combine(day, END_OF_DAY if end_of_day else START_OF_DAY, tzinfo=VN_TZ)
    for pattern in _DATETIME_FORMATS:
        try:
            return datetime.strptime(value, pattern).replace(tzinfo=VN_TZ)
        except ValueError:
            continue
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise rejected("bad_date", f"Ngày '{text}' ở cột {field} không đọc được (YYYY-MM-DD hoặc DD/MM/YYYY).",
                       f"Cannot read the date '{text}' in {field} (YYYY-MM-DD or DD/MM/YYYY).",
                       field=field, value=text) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=VN_TZ)


def check_past_applicant(applicant: Applicant) -> Applicant:
    if not applicant.name.strip():
        raise rejected("applicant_name_required", "Thiếu tên người nộp hồ sơ.", "The applicant's name is missing.")
    if applicant.kind is ApplicantKind.ORGANISATION:
        check_tax_code(applicant.id_number)
    elif not OLD_ID_CARD.fullmatch(applicant.id_number):
        check_cccd(applicant.id_number)
    return applicant


@dataclass(frozen=True)
class PastFile:
    """A scan of the archive, read and identified (never copied) before anything is written."""

    path: Path  # where it is read from
    relative_path: str  # as the manifest names it
    sha256: str
    size_bytes: int
    media_type: str
    filename: str
    page_count: int
    is_result: bool = False


@dataclass(frozen=True)
class PastDossier:
    code: str
    agency_code: str
    procedure_code: str
    applicant: Applicant
    state: DossierState
    received_at: datetime
    closed_at: datetime
    due_at: datetime | None = None  # ngày hẹn trả; computed from the procedure when the record has none
    resolved_at: datetime | None = None  # when the result was ready (resolved, result returned)
    channel: Channel = Channel.COUNTER
    subject: str = ""
    files: tuple[PastFile, ...] = ()

    @property
    def pages(self) -> int:
        return sum(f.page_count for f in self.files)

    def fingerprint(self) -> str:
        """What the row says, files by content: the same row imported twice is recognised, a different one
        under the same code is not."""
        facts = {"code": self.code, "agency": self.agency_code, "procedure": self.procedure_code,
                 "applicant": [self.applicant.kind.value, self.applicant.name, self.applicant.id_number],
                 "state": self.state.value, "channel": self.channel.value, "subject": self.subject,
                 "dates": [d.isoformat() if d else None for d in (self.received_at, self.due_at, self.resolved_at,
                                                                   self.closed_at)],
                 "files": sorted([f.sha256, f.is_result] for f in self.files)}
        return hashlib.sha256(json.dumps(facts, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def past_dossier(*, code: str, agency_code: str, procedure_code: str, applicant: Applicant, state: DossierState,
                 received_at: datetime, closed_at: datetime | None, due_at: datetime | None = None,
                 resolved_at: datetime | None = None, channel: Channel = Channel.COUNTER, subject: str = "",
                 files: tuple[PastFile, ...] = (), now: datetime) -> PastDossier:
    """A past dossier whose facts hold together; raises ValidationFailed naming the first that does not."""
    if not code.strip() or len(code) > 64 or not re.fullmatch(r"[0-9A-Za-z.\-_/]+", code):
        raise rejected("bad_dossier_code", f"Mã hồ sơ '{code}' không hợp lệ (chữ, số, . - _ /, tối đa 64 ký tự).",
                       f"Invalid dossier code '{code}' (letters, digits, . - _ /, at most 64).", dossier_code=code)
    check_past_applicant(applicant)
    if closed_at is None:
        raise rejected("closed_date_required", "Thiếu ngày kết thúc (ngày trả kết quả, từ chối, rút hoặc dừng).",
                       "The closing date is missing (returned, refused, withdrawn or stopped).")
    for name, value in (("received_at", received_at), ("resolved_at", resolved_at), ("closed_at", closed_at)):
        if value is not None and value > now + CLOCK_SKEW:
            raise rejected("date_in_future", f"Ngày ở cột {name} nằm ở tương lai.", f"{name} is in the future.",
                           field=name, value=value.isoformat())
    if due_at is not None and due_at < received_at:
        raise rejected("due_before_received", "Ngày hẹn trả trước ngày tiếp nhận.",
                       "The appointment date is before the intake date.")
    if closed_at < received_at:
        raise rejected("closed_before_received", "Ngày kết thúc trước ngày tiếp nhận.",
                       "The closing date is before the intake date.")
    if resolved_at is not None and not received_at <= resolved_at <= closed_at:
        raise rejected("resolved_out_of_range", "Ngày có kết quả phải nằm giữa ngày tiếp nhận và ngày kết thúc.",
                       "The result date must lie between the intake and the closing dates.")
    if resolved_at is not None and state not in {S.RESOLVED, S.RESULT_RETURNED}:
        raise rejected("resolved_without_result", "Hồ sơ không có kết quả nhưng có ngày có kết quả.",
                       "A dossier that ended without a result has a result date.")
    hashes = [f.sha256 for f in files]
    if len(set(hashes)) != len(hashes):
        twice = sorted({f.relative_path for f in files if hashes.count(f.sha256) > 1})
        raise rejected("duplicate_file", "Một tệp được liệt kê hai lần trong cùng hồ sơ.",
                       "The same file is listed twice for one dossier.", files=twice)
    return PastDossier(code=code, agency_code=agency_code, procedure_code=procedure_code, applicant=applicant,
                       state=state, received_at=received_at, closed_at=closed_at, due_at=due_at,
                       resolved_at=resolved_at, channel=channel, subject=subject.strip(), files=files)


def imported_dossier(past: PastDossier, *, procedure: Procedure, calendar: WorkingCalendar, actor: Principal,
                     imported_on: date, source: str) -> tuple[Dossier, list[DossierEvent]]:
    """The dossier as its record left it, and its history: received, then its final state, both at the recorded
    dates and saying they were imported (on `imported_on`, from `source`)."""
    started = calendar.intake_start(past.received_at)
    due = past.due_at or calendar.add_working_days(started, procedure.processing_days)
    with_result = past.state in {S.RESOLVED, S.RESULT_RETURNED}
    resolved = (past.resolved_at or past.closed_at) if with_result else None
    returned = past.state is S.RESULT_RETURNED
    dossier = Dossier(
        code=past.code, procedure_code=procedure.code, receiving_agency_code=past.agency_code,
        applicant=past.applicant, channel=past.channel, received_at=past.received_at, subject=past.subject,
        state=past.state, holder_agency_code=past.agency_code,
        holder_party=Party.APPLICANT if returned else Party.RECEPTION, holder_since=past.closed_at,
        clock_started_at=started, last_moved_at=past.closed_at, due_at=due, step_started_at=started,
        step_due_at=due, resolved_at=resolved,
        completed_at=past.closed_at if past.state in TERMINAL_STATES else None,
        participant_agencies={past.agency_code},
    )
    handover = None
    if returned and resolved is not None:
        used = round(max(calendar.working_days_between(started, resolved), 0.0), 2)
        handover = Handover(past.agency_code, Party.RECEPTION, past.agency_code, Party.APPLICANT, started, due,
                            round(float(procedure.processing_days), 2), used, timeliness(resolved, due))
    note = f"Nhập hồ sơ cũ ngày {imported_on:%d/%m/%Y} từ {source} / imported from a past archive"
    events = [
        DossierEvent(past.received_at, None, S.RECEIVED, actor.username, actor.full_name, actor.agency_code,
                     note=note),
        DossierEvent(past.closed_at, S.RECEIVED, past.state, actor.username, actor.full_name, actor.agency_code,
                     note=note, handover=handover),
    ]
    return dossier, events


@dataclass(frozen=True)
class ImportEntry:
    """The import journal's line for one dossier: re-running the same manifest skips it."""

    dossier_code: str
    fingerprint: str
    source: str  # the manifest's file name
    row_number: int
    imported_at: datetime
    documents: int
    pages: int
