"""The SQL repository of dossiers: rows, participants, events, extension letters, the list query."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, delete, exists, func, insert, literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from records.clock import VN_TZ
from records.dossiers import (
    Applicant,
    ApplicantKind,
    Channel,
    Dossier,
    DossierEvent,
    DossierState,
    ExtensionLetter,
    Handover,
    Party,
    Timeliness,
)
from records.errors import StaleVersion
from records.ports import DossierFilters, DossierQuery, TimelinessRow
from storage.models import (
    DossierCounterRow,
    DossierEventRow,
    DossierParticipantRow,
    DossierRow,
    ExtensionLetterRow,
    ProcedureRow,
    ShareRow,
    table_of,
)

_DOSSIER_COLUMNS = (
    "code", "procedure_code", "receiving_agency_code", "holder_agency_code", "holder_since", "clock_started_at",
    "last_moved_at", "channel",
    "subject", "received_at", "due_at", "extended_due_at", "step_index", "step_started_at", "step_due_at",
    "paused_at", "holding_paused_days", "total_paused_days", "resolved_at", "completed_at", "parent_code",
)


def _dossier_values(dossier: Dossier) -> dict[str, Any]:
    values = {name: getattr(dossier, name) for name in _DOSSIER_COLUMNS}
    values.update(
        state=dossier.state.value, channel=dossier.channel.value, holder_party=dossier.holder_party.value,
        applicant_kind=dossier.applicant.kind.value, applicant_name=dossier.applicant.name,
        applicant_id_number=dossier.applicant.id_number, applicant_phone=dossier.applicant.phone,
        applicant_email=dossier.applicant.email, applicant_address=dossier.applicant.address,
    )
    return values


def _handover_to_json(handover: Handover | None) -> dict[str, Any] | None:
    if handover is None:
        return None
    return {
        "from_agency_code": handover.from_agency_code, "from_party": handover.from_party.value,
        "to_agency_code": handover.to_agency_code, "to_party": handover.to_party.value,
        "started_at": handover.started_at.isoformat(), "due_at": handover.due_at.isoformat(),
        "allowed_days": handover.allowed_days, "used_days": handover.used_days,
        "timeliness": handover.timeliness.value,
    }


def _handover_from_json(data: dict[str, Any] | None) -> Handover | None:
    if data is None:
        return None
    return Handover(
        from_agency_code=data["from_agency_code"], from_party=Party(data["from_party"]),
        to_agency_code=data["to_agency_code"], to_party=Party(data["to_party"]),
        started_at=datetime.fromisoformat(data["started_at"]), due_at=datetime.fromisoformat(data["due_at"]),
        allowed_days=float(data["allowed_days"]), used_days=float(data["used_days"]),
        timeliness=Timeliness(data["timeliness"]),
    )


DOSSIERS = table_of(DossierRow)
EVENTS = table_of(DossierEventRow)
PARTICIPANTS = table_of(DossierParticipantRow)
SHARES = table_of(ShareRow)


# The transition path's statements, built once: each call only binds values (see bench/transitions.py).
_SAVED_COLUMNS = (*_DOSSIER_COLUMNS, "state", "holder_party", "applicant_kind", "applicant_name",
                  "applicant_id_number", "applicant_phone", "applicant_email", "applicant_address")
# Agency codes never contain a comma or a colon (AGENCY_CODE_PATTERN), so one joined string carries the
# participants, each as "<agency code>:<via>".
_PARTICIPANT_LIST = (
    select(func.aggregate_strings(PARTICIPANTS.c.agency_code + literal(":") + PARTICIPANTS.c.via, ","))
    .where(PARTICIPANTS.c.dossier_id == DOSSIERS.c.id)
    .scalar_subquery()
    .label("participant_list")
)
_SELECT_DOSSIER = select(DOSSIERS, _PARTICIPANT_LIST).where(DOSSIERS.c.code == bindparam("code"))
_SELECT_DOSSIER_FOR_UPDATE = _SELECT_DOSSIER.with_for_update()
_UPDATE_DOSSIER = (
    update(DOSSIERS)
    .where(DOSSIERS.c.id == bindparam("_id"), DOSSIERS.c.version == bindparam("_expected_version"))
    .values({name: bindparam(name) for name in (*_SAVED_COLUMNS, "version", "last_event_seq")})
)
_SELECT_PARTICIPANTS = select(PARTICIPANTS.c.dossier_id, PARTICIPANTS.c.agency_code, PARTICIPANTS.c.via).where(
    PARTICIPANTS.c.dossier_id.in_(bindparam("ids", expanding=True)))
ROUTE, LINKED = "route", "linked"


def _split_participants(joined: str | None) -> tuple[set[str], set[str]]:
    route: set[str] = set()
    linked: set[str] = set()
    for item in (joined.split(",") if joined else ()):
        code, _, via = item.partition(":")
        (linked if via == LINKED else route).add(code)
    return route, linked - route


def _local_day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), VN_TZ).astimezone(UTC)


class SqlDossierRepository:
    def __init__(self, session: Session) -> None:
        self.session = session
        # What this unit of work read, so a save writes only what changed: participants already stored
        # (route and linked) and the sequence number of the last event, per dossier id.
        self._stored_participants: dict[int, frozenset[str]] = {}
        self._stored_linked: dict[int, frozenset[str]] = {}
        self._last_event_seq: dict[int, int] = {}

    # --- intake numbering -------------------------------------------------------------------------
    def next_sequence(self, agency_code: str, day: date) -> int:
        dialect = self.session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        stmt = insert(DossierCounterRow).values(agency_code=agency_code, day=day, last_value=1)
        upsert = stmt.on_conflict_do_update(
            index_elements=["agency_code", "day"],
            set_={"last_value": DossierCounterRow.last_value + 1},
        ).returning(DossierCounterRow.last_value)
        return int(self.session.execute(upsert).scalar_one())

    # --- rows <-> domain ----------------------------------------------------------------------------
    @staticmethod
    def _to_domain(row: Any, participants: set[str], linked: set[str]) -> Dossier:
        """From a DossierRow or a Core row of the dossiers table (same attribute names)."""
        return Dossier(
            id=row.id, code=row.code, procedure_code=row.procedure_code,
            receiving_agency_code=row.receiving_agency_code,
            applicant=Applicant(ApplicantKind(row.applicant_kind), row.applicant_name, row.applicant_id_number,
                                row.applicant_phone, row.applicant_email, row.applicant_address),
            channel=Channel(row.channel), received_at=row.received_at, subject=row.subject,
            state=DossierState(row.state), holder_agency_code=row.holder_agency_code,
            holder_party=Party(row.holder_party), holder_since=row.holder_since,
            clock_started_at=row.clock_started_at, last_moved_at=row.last_moved_at, due_at=row.due_at,
            extended_due_at=row.extended_due_at, step_index=row.step_index, step_started_at=row.step_started_at,
            step_due_at=row.step_due_at, paused_at=row.paused_at, holding_paused_days=row.holding_paused_days,
            total_paused_days=row.total_paused_days, resolved_at=row.resolved_at, completed_at=row.completed_at,
            participant_agencies=participants, linked_agencies=linked, parent_code=row.parent_code,
            version=row.version,
        )

    def _participants(self, ids: Sequence[int]) -> dict[int, tuple[set[str], set[str]]]:
        """Per dossier id: (route participants, linked agencies)."""
        found: dict[int, tuple[set[str], set[str]]] = {i: (set(), set()) for i in ids}
        if ids:
            rows = self.session.execute(_SELECT_PARTICIPANTS, {"ids": list(ids)})
            for dossier_id, agency_code, via in rows:
                found[dossier_id][1 if via == LINKED else 0].add(agency_code)
        return found

    def _remember(self, dossier: Dossier) -> None:
        assert dossier.id is not None
        self._stored_participants[dossier.id] = frozenset(dossier.participant_agencies)
        self._stored_linked[dossier.id] = frozenset(dossier.linked_agencies - dossier.participant_agencies)

    def _id_of(self, code: str) -> int | None:
        return self.session.scalar(select(DossierRow.id).where(DossierRow.code == code))

    # --- writes ---------------------------------------------------------------------------------------
    def add(self, dossier: Dossier, events: list[DossierEvent]) -> None:
        result = self.session.execute(
            insert(DOSSIERS).values(**_dossier_values(dossier), version=dossier.version, last_event_seq=len(events))
            .returning(DOSSIERS.c.id))
        dossier.id = int(result.scalar_one())
        self._add_participants(dossier.id, dossier.participant_agencies)
        self._add_participants(dossier.id, dossier.linked_agencies - dossier.participant_agencies, via=LINKED)
        self._add_events(dossier.id, events, start=1)
        self._remember(dossier)
        self._last_event_seq[dossier.id] = len(events)

    def save(self, dossier: Dossier, *, expected_version: int, events: list[DossierEvent]) -> None:
        """Writes a dossier read by this unit of work. Raises StaleVersion when its version moved on."""
        if dossier.id is None or dossier.id not in self._last_event_seq:
            raise ValueError("save() takes a dossier read or added through this repository")
        last_seq = self._last_event_seq[dossier.id]
        result = self.session.execute(_UPDATE_DOSSIER, {
            **_dossier_values(dossier), "_id": dossier.id, "_expected_version": expected_version,
            "version": expected_version + 1, "last_event_seq": last_seq + len(events)})
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise StaleVersion(detail={"expected_version": expected_version})
        dossier.version = expected_version + 1
        known, linked = self._stored_participants[dossier.id], self._stored_linked[dossier.id]
        joined = dossier.participant_agencies - known
        if joined & linked:  # an agency that read it through a linked dossier now takes part itself
            self.session.execute(update(PARTICIPANTS).where(
                PARTICIPANTS.c.dossier_id == dossier.id, PARTICIPANTS.c.agency_code.in_(sorted(joined & linked)))
                .values(via=ROUTE))
        self._add_participants(dossier.id, joined - linked)
        self._add_participants(dossier.id, dossier.linked_agencies - dossier.participant_agencies - linked,
                               via=LINKED)
        self._remember(dossier)
        self._add_events(dossier.id, events, start=last_seq + 1)
        self._last_event_seq[dossier.id] = last_seq + len(events)

    def _add_participants(self, dossier_id: int, codes: set[str], *, via: str = ROUTE) -> None:
        if codes:
            self.session.execute(insert(PARTICIPANTS),
                                 [{"dossier_id": dossier_id, "agency_code": c, "via": via} for c in sorted(codes)])

    def add_linked_agencies(self, code: str, agencies: frozenset[str]) -> None:
        dossier_id = self._id_of(code)
        if dossier_id is None or not agencies:
            return
        dialect = self.session.get_bind().dialect.name
        insert_for = postgresql.insert if dialect == "postgresql" else sqlite.insert
        self.session.execute(
            insert_for(PARTICIPANTS).values([{"dossier_id": dossier_id, "agency_code": c, "via": LINKED}
                                             for c in sorted(agencies)])
            .on_conflict_do_nothing(index_elements=["dossier_id", "agency_code"]))

    def set_receipt_digest(self, code: str, digest: str) -> None:
        self.session.execute(update(DOSSIERS).where(DOSSIERS.c.code == code).values(receipt_digest=digest))

    def receipt_digest(self, code: str) -> str | None:
        return self.session.scalar(select(DOSSIERS.c.receipt_digest).where(DOSSIERS.c.code == code))

    def children(self, parent_code: str) -> list[Dossier]:
        return self._many(DOSSIERS.c.parent_code == parent_code)

    def get_many(self, codes: Sequence[str]) -> list[Dossier]:
        return self._many(DOSSIERS.c.code.in_(list(codes))) if codes else []

    def delete(self, code: str) -> None:
        """The database's cascades remove what hangs off the dossier (events, letters, participants, alerts, shares,
        documents and their page texts)."""
        self.session.execute(delete(DOSSIERS).where(DOSSIERS.c.code == code))

    def _many(self, condition: Any) -> list[Dossier]:
        """In the order they were opened (a group's linked dossiers: the catalogue's order)."""
        rows = list(self.session.execute(select(DOSSIERS).where(condition).order_by(DOSSIERS.c.id)))
        participants = self._participants([r.id for r in rows])
        return [self._to_domain(r, *participants[r.id]) for r in rows]

    def _add_events(self, dossier_id: int, events: list[DossierEvent], *, start: int) -> None:
        if not events:
            return
        self.session.execute(insert(EVENTS), [
            {
                "dossier_id": dossier_id, "seq": start + i, "at": e.at,
                "from_state": e.from_state.value if e.from_state else None, "to_state": e.to_state.value,
                "actor_username": e.actor_username, "actor_name": e.actor_name,
                "actor_agency_code": e.actor_agency_code, "note": e.note,
                "target_agency_code": e.target_agency_code, "handover": _handover_to_json(e.handover),
            }
            for i, e in enumerate(events)
        ])

    # --- reads ----------------------------------------------------------------------------------------
    def get(self, code: str, *, for_update: bool = False) -> Dossier | None:
        stmt = _SELECT_DOSSIER_FOR_UPDATE if for_update else _SELECT_DOSSIER
        row = self.session.execute(stmt, {"code": code}).one_or_none()
        if row is None:
            return None
        participants, linked = _split_participants(row.participant_list)
        dossier = self._to_domain(row, participants, linked)
        self._remember(dossier)
        self._last_event_seq[row.id] = row.last_event_seq
        return dossier

    def events(self, code: str) -> list[DossierEvent]:
        rows = self.session.scalars(
            select(DossierEventRow).join(DossierRow, DossierRow.id == DossierEventRow.dossier_id)
            .where(DossierRow.code == code).order_by(DossierEventRow.seq))
        return [
            DossierEvent(
                at=r.at, from_state=DossierState(r.from_state) if r.from_state else None,
                to_state=DossierState(r.to_state), actor_username=r.actor_username, actor_name=r.actor_name,
                actor_agency_code=r.actor_agency_code, note=r.note, target_agency_code=r.target_agency_code,
                handover=_handover_from_json(r.handover), seq=r.seq,
            )
            for r in rows
        ]

    def _filters(self, query: DossierQuery) -> list[Any]:
        conditions: list[Any] = []
        wanted = query.filters
        if query.visible_agencies is not None:
            visible: Any = exists().where(DossierParticipantRow.dossier_id == DossierRow.id,
                                     DossierParticipantRow.agency_code.in_(sorted(query.visible_agencies)))
            if query.shared_with:
                shared = exists().where(SHARES.c.dossier_id == DossierRow.id, SHARES.c.whole_dossier.is_(True),
                                        SHARES.c.grantee_agency_code.in_(sorted(query.shared_with)),
                                        SHARES.c.revoked_at.is_(None), SHARES.c.expires_at > query.now)
                visible = or_(visible, shared)
            conditions.append(visible)
        if wanted.agency_code:
            conditions.append(or_(DossierRow.receiving_agency_code == wanted.agency_code,
                                  DossierRow.holder_agency_code == wanted.agency_code))
        if wanted.procedure_code:
            conditions.append(DossierRow.procedure_code == wanted.procedure_code)
        if wanted.field:
            conditions.append(DossierRow.procedure_code.in_(
                select(ProcedureRow.code).where(ProcedureRow.field == wanted.field)))
        if wanted.states:
            conditions.append(DossierRow.state.in_(sorted(s.value for s in wanted.states)))
        if wanted.received_from:
            conditions.append(DossierRow.received_at >= _local_day_start(wanted.received_from))
        if wanted.received_to:
            conditions.append(DossierRow.received_at < _local_day_start(wanted.received_to + timedelta(days=1)))
        if wanted.applicant_id_number:
            conditions.append(DossierRow.applicant_id_number == wanted.applicant_id_number)
        if wanted.late is not None:
            reference = func.coalesce(DossierRow.resolved_at, DossierRow.paused_at, query.now)
            is_late = and_(DossierRow.due_at.is_not(None), reference > DossierRow.due_at,
                           DossierRow.state.not_in(["refused", "withdrawn", "stopped"]))
            conditions.append(is_late if wanted.late else ~is_late)
        return conditions

    def find(self, query: DossierQuery) -> tuple[list[Dossier], int]:
        conditions = self._filters(query)
        count = self.session.scalar(select(func.count()).select_from(DossierRow).where(*conditions)) or 0
        order = (DossierRow.due_at.asc(), DossierRow.id.asc()) if query.filters.late else (
            DossierRow.received_at.desc(), DossierRow.id.desc())
        rows = list(self.session.scalars(select(DossierRow).where(*conditions).order_by(*order)
                                         .limit(query.filters.limit).offset(query.filters.offset)))
        participants = self._participants([r.id for r in rows])
        return [self._to_domain(r, *participants[r.id]) for r in rows], int(count)

    def add_extension(self, code: str, letter: ExtensionLetter) -> None:
        dossier_id = self._id_of(code)
        assert dossier_id is not None
        self.session.add(ExtensionLetterRow(dossier_id=dossier_id, reason=letter.reason,
                                            new_due_at=letter.new_due_at, issued_at=letter.issued_at,
                                            issued_by=letter.issued_by, issued_by_name=letter.issued_by_name))
        self.session.flush()

    def extensions(self, code: str) -> list[ExtensionLetter]:
        rows = self.session.scalars(
            select(ExtensionLetterRow).join(DossierRow, DossierRow.id == ExtensionLetterRow.dossier_id)
            .where(DossierRow.code == code).order_by(ExtensionLetterRow.issued_at))
        return [ExtensionLetter(r.reason, r.new_due_at, r.issued_at, r.issued_by, r.issued_by_name) for r in rows]

    def timeliness_rows(self, *, visible_agencies: frozenset[str] | None, agency_code: str | None,
                        received_from: date | None, received_to: date | None) -> list[TimelinessRow]:
        query = DossierQuery(filters=DossierFilters(agency_code=agency_code, received_from=received_from,
                                                    received_to=received_to),
                             visible_agencies=visible_agencies, now=datetime.now(UTC))
        stmt = select(DossierRow.receiving_agency_code, DossierRow.state, DossierRow.received_at,
                      DossierRow.due_at, DossierRow.resolved_at, DossierRow.paused_at).where(*self._filters(query))
        return [TimelinessRow(a, DossierState(s), r, d, res, p) for a, s, r, d, res, p in self.session.execute(stmt)]
