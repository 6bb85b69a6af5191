"""SQL repositories: they translate between rows and the core's dataclasses, and nothing more."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from records.access import Role
from records.agencies import Agency, AgencyLevel, AgencyStatus
from records.alerts import Alert, AlertKind, DueDossier
from records.ports import UserAccount
from records.procedures import Procedure, procedure_from_dict, procedure_to_dict
from storage.models import (
    AgencyRow,
    AlertRow,
    Base,
    DossierRow,
    ProcedureRow,
    UserRow,
    table_of,
)


def _upsert(session: Session, model: type[Base], values: dict[str, Any], keys: Sequence[str]) -> None:
    """INSERT ... ON CONFLICT DO UPDATE on both SQLite and PostgreSQL."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(model).values(**values)
    stmt = stmt.on_conflict_do_update(index_elements=list(keys),
                                      set_={k: v for k, v in values.items() if k not in keys})
    session.execute(stmt)


def _predecessors_statement() -> Any:
    agencies = table_of(AgencyRow)
    chain = select(agencies.c.code).where(agencies.c.successor_code == bindparam("code")).cte("chain", recursive=True)
    chain = chain.union(select(agencies.c.code).where(agencies.c.successor_code == chain.c.code))
    return select(chain.c.code)


_SELECT_PREDECESSORS = _predecessors_statement()  # every request resolves its officer's succession
_SELECT_USER = select(table_of(UserRow)).where(table_of(UserRow).c.username == bindparam("username"))


class SqlAgencyRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    @staticmethod
    def _to_domain(row: AgencyRow) -> Agency:
        return Agency(
            code=row.code, name=row.name, level=AgencyLevel(row.level), parent_code=row.parent_code,
            status=AgencyStatus(row.status), successor_code=row.successor_code, ended_on=row.ended_on,
            short_name=row.short_name, external_system=row.external_system,
        )

    def get(self, code: str) -> Agency | None:
        row = self.session.get(AgencyRow, code)
        return None if row is None else self._to_domain(row)

    def list(self) -> list[Agency]:
        return [self._to_domain(r) for r in self.session.scalars(select(AgencyRow).order_by(AgencyRow.code))]

    def upsert(self, agency: Agency) -> None:
        """Safe to repeat. Foreign keys among agencies are not enforced, so order of import is free."""
        _upsert(self.session, AgencyRow, {
            "code": agency.code, "name": agency.name, "level": agency.level.value,
            "parent_code": agency.parent_code, "status": agency.status.value,
            "successor_code": agency.successor_code, "ended_on": agency.ended_on,
            "short_name": agency.short_name, "external_system": agency.external_system,
        }, ["code"])

    def predecessors(self, code: str) -> frozenset[str]:
        return frozenset(self.session.scalars(_SELECT_PREDECESSORS, {"code": code}))


_SELECT_PROCEDURE = select(table_of(ProcedureRow).c.document).where(
    table_of(ProcedureRow).c.code == bindparam("code"))


class SqlProcedureRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, code: str) -> Procedure | None:
        document = self.session.execute(_SELECT_PROCEDURE, {"code": code}).scalar_one_or_none()
        return None if document is None else procedure_from_dict(document)

    def list(self) -> list[Procedure]:
        rows = self.session.scalars(select(ProcedureRow).order_by(ProcedureRow.code))
        return [procedure_from_dict(r.document) for r in rows]

    def upsert(self, procedure: Procedure) -> None:
        """Safe to repeat: the stored document is replaced by this one."""
        _upsert(self.session, ProcedureRow, {
            "code": procedure.code, "name": procedure.name, "field": procedure.field,
            "level": procedure.level.value, "published": procedure.published,
            "processing_days": procedure.processing_days, "retention_years": procedure.retention_years,
            "document": procedure_to_dict(procedure),
        }, ["code"])


class SqlUserRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    @staticmethod
    def _to_domain(row: Any) -> UserAccount:
        return UserAccount(row.username, row.full_name, row.agency_code,
                           frozenset(Role(r) for r in row.roles), row.password_hash, row.active)

    def get(self, username: str) -> UserAccount | None:
        row = self.session.execute(_SELECT_USER, {"username": username}).one_or_none()
        return None if row is None else self._to_domain(row)

    def add(self, user: UserAccount) -> None:
        self.session.add(UserRow(username=user.username, full_name=user.full_name, agency_code=user.agency_code,
                                 roles=sorted(r.value for r in user.roles), password_hash=user.password_hash,
                                 active=user.active))
        self.session.flush()

    def list(self, agency_code: str | None = None) -> list[UserAccount]:
        stmt = select(UserRow).order_by(UserRow.username)
        if agency_code is not None:
            stmt = stmt.where(UserRow.agency_code == agency_code)
        return [self._to_domain(r) for r in self.session.scalars(stmt)]


DOSSIERS = table_of(DossierRow)
_WORKED_ON = ("received", "processing", "transferred")  # the agency's clock runs in these states


class SqlAlertRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    @staticmethod
    def _to_domain(row: Any) -> Alert:
        return Alert(dossier_code=row.code, agency_code=row.agency_code, kind=AlertKind(row.kind),
                     due_at=row.due_at, raised_at=row.raised_at, acknowledged_by=row.acknowledged_by,
                     acknowledged_at=row.acknowledged_at, id=row.id)

    def _select(self) -> Any:
        alerts = table_of(AlertRow)
        return select(alerts, DOSSIERS.c.code).join(DOSSIERS, DOSSIERS.c.id == alerts.c.dossier_id)

    def open_dossiers_due_before(self, instant: datetime) -> list[DueDossier]:
        rows = self.session.execute(
            select(DOSSIERS.c.id, DOSSIERS.c.code, DOSSIERS.c.holder_agency_code, DOSSIERS.c.due_at)
            .where(DOSSIERS.c.state.in_(_WORKED_ON), DOSSIERS.c.paused_at.is_(None),
                   DOSSIERS.c.due_at.is_not(None), DOSSIERS.c.due_at <= instant)
            .order_by(DOSSIERS.c.due_at))
        return [DueDossier(i, code, holder, due) for i, code, holder, due in rows]

    def raise_once(self, dossier: DueDossier, kind: AlertKind, at: datetime) -> bool:
        dialect = self.session.get_bind().dialect.name
        insert_for = postgresql.insert if dialect == "postgresql" else sqlite.insert
        stmt = insert_for(AlertRow).values(dossier_id=dossier.dossier_id, agency_code=dossier.holder_agency_code,
                                           kind=kind.value, due_at=dossier.due_at, raised_at=at)
        new = stmt.on_conflict_do_nothing(index_elements=["dossier_id", "kind", "due_at"]).returning(AlertRow.id)
        return self.session.execute(new).first() is not None

    def for_agencies(self, agencies: frozenset[str] | None, *, include_acknowledged: bool,
                     limit: int) -> list[Alert]:
        alerts = table_of(AlertRow)
        stmt = self._select().order_by(alerts.c.raised_at.desc(), alerts.c.id.desc()).limit(limit)
        if agencies is not None:
            stmt = stmt.where(alerts.c.agency_code.in_(sorted(agencies)))
        if not include_acknowledged:
            stmt = stmt.where(alerts.c.acknowledged_at.is_(None))
        return [self._to_domain(r) for r in self.session.execute(stmt)]

    def get(self, alert_id: int) -> Alert | None:
        row = self.session.execute(self._select().where(table_of(AlertRow).c.id == alert_id)).one_or_none()
        return None if row is None else self._to_domain(row)

    def acknowledge(self, alert_id: int, username: str, at: datetime) -> None:
        alerts = table_of(AlertRow)
        self.session.execute(update(alerts).where(alerts.c.id == alert_id, alerts.c.acknowledged_at.is_(None))
                             .values(acknowledged_by=username, acknowledged_at=at))
