"""Schemas for agencies, procedures, users and coverage."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.bounds import BoundedDate
from records.access import Role
from records.agencies import Agency, AgencyLevel, AgencyStatus
from records.ports import UserAccount
from records.procedures import Coverage, DocumentType, Procedure, procedure_to_dict


class AgencyPublic(BaseModel):
    code: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=300)
    level: AgencyLevel
    parent_code: str | None = Field(default=None, max_length=40)
    status: AgencyStatus = AgencyStatus.ACTIVE
    successor_code: str | None = Field(default=None, max_length=40)
    ended_on: BoundedDate | None = None
    short_name: str | None = Field(default=None, max_length=60)
    external_system: str | None = Field(default=None, max_length=40)

    @classmethod
    def of(cls, agency: Agency) -> AgencyPublic:
        return cls(code=agency.code, name=agency.name, level=agency.level, parent_code=agency.parent_code,
                   status=agency.status, successor_code=agency.successor_code, ended_on=agency.ended_on,
                   short_name=agency.short_name, external_system=agency.external_system)

    def to_domain(self) -> Agency:
        return Agency(code=self.code, name=self.name, level=self.level, parent_code=self.parent_code,
                      status=self.status, successor_code=self.successor_code, ended_on=self.ended_on,
                      short_name=self.short_name, external_system=self.external_system)


class AgencyDetail(AgencyPublic):
    predecessors: list[str] = []  # agencies whose dossiers this one inherited
    current_successor: str | None = None  # end of the succession chain, for an agency that ended


class AgenciesPublic(BaseModel):
    data: list[AgencyPublic]
    count: int


class RouteStepSchema(BaseModel):
    model_config = ConfigDict(extra="forbid")
    agency: str = Field(max_length=40,
                        description="'receiving' for the desk that received the dossier, or an agency code")
    days: float = Field(ge=0, le=3650)
    task: str = Field(default="", max_length=2000)


class RequiredPaperSchema(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=2000)
    document_type: DocumentType = DocumentType.OTHER
    original: bool = False
    quantity: int = Field(default=1, ge=1, le=1000)
    mandatory: bool = True


class ProcedureSchema(BaseModel):
    """The procedure document as imported and exported."""

    model_config = ConfigDict(extra="forbid")
    code: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=2000)
    field: str = Field(min_length=1, max_length=120)
    level: AgencyLevel
    processing_days: float = Field(ge=0, le=3650)
    route: list[RouteStepSchema] = []
    required_papers: list[RequiredPaperSchema] = []
    retention_years: int | None = Field(default=None, ge=1, le=200, description="null: kept permanently")
    published: bool = True
    receiving_agencies: list[Annotated[str, Field(max_length=40)]] = Field(default=[], max_length=1000)
    fee_vnd: int | None = Field(default=None, ge=0, le=10**12)
    linked_procedures: list[Annotated[str, Field(max_length=40)]] = Field(default=[], max_length=100)


class ProcedurePublic(ProcedureSchema):
    configured: bool

    @classmethod
    def of(cls, procedure: Procedure) -> ProcedurePublic:
        return cls(**procedure_to_dict(procedure), configured=procedure.is_configured)


class ProceduresPublic(BaseModel):
    data: list[ProcedurePublic]
    count: int


class CoveragePublic(BaseModel):
    agency_code: str
    published: int
    configured: int
    ratio: float

    @classmethod
    def of(cls, item: Coverage) -> CoveragePublic:
        return cls(agency_code=item.agency_code, published=item.published, configured=item.configured,
                   ratio=round(item.ratio, 4))


class CoveragesPublic(BaseModel):
    data: list[CoveragePublic]
    count: int
    published: int
    configured: int


class ImportResult(BaseModel):
    imported: int


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=64)
    full_name: str = Field(min_length=1, max_length=200)
    agency_code: str = Field(min_length=1, max_length=40)
    roles: list[Role] = Field(min_length=1)
    password: str = Field(min_length=8, max_length=200)


class UserPublic(BaseModel):
    username: str
    full_name: str
    agency_code: str
    roles: list[Role]
    active: bool

    @classmethod
    def of(cls, user: UserAccount) -> UserPublic:
        return cls(username=user.username, full_name=user.full_name, agency_code=user.agency_code,
                   roles=sorted(user.roles), active=user.active)


class UsersPublic(BaseModel):
    data: list[UserPublic]
    count: int
