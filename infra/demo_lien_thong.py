"""Demo data for liên thông: papers that follow the land dossiers, a "3 in 1" group with its linked dossiers at
the commune, the police and social insurance, a share with the land registry system and that system's
service token (written to the data dir, since only a digest of it is stored)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from fpdf import FPDF

from infra.wiring import Backends
from ingest.staging import stage_upload
from records.access import Principal, Scope
from records.clock import Clock, FixedClock
from records.documents import DocumentMetadata
from records.dossiers import Applicant, ApplicantKind, Channel, DossierState
from records.procedures import DocumentType
from records.services.catalogue import load_principal
from records.services.documents import register_document
from records.services.dossiers import transition_dossier
from records.services.intake import receive_dossier
from records.services.integrations import create_integration, list_integrations
from records.services.shares import share_dossier

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")  # Debian fonts-dejavu-core (make installs it)
TOKEN_FILE = "demo-integration-token.txt"
LAND_REGISTRY = "HT.DATDAI.H19"
REGISTRY_ACCOUNT = "Hệ thống thông tin đất đai tỉnh Đồng Nai (demo)"


def text_pdf(pages: list[list[str]]) -> bytes:
    """A born-digital PDF: each page's lines in DejaVu Sans, Vietnamese diacritics intact."""
    pdf = FPDF(format="A4")
    pdf.add_font("DejaVu", fname=str(FONT))
    pdf.set_font("DejaVu", size=12)
    for lines in pages:
        pdf.add_page()
        for line in lines:
            pdf.multi_cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


@dataclass(frozen=True)
class DemoPaper:
    filename: str
    title: str
    document_type: DocumentType
    pages: list[list[str]]


def attach_paper(backends: Backends, *, clock: Clock, actor: Principal, dossier_code: str, paper: DemoPaper) -> None:
    """Uploads the paper as the officer would; the worker reads and indexes it (the outbox sends it there)."""
    settings = backends.settings
    staged = stage_upload(io.BytesIO(text_pdf(paper.pages)), paper.filename, directory=settings.data_dir / "staging",
                          max_bytes=settings.max_upload_bytes)
    try:
        register_document(uow=backends.uow(), blobs=backends.blobs, clock=clock, actor=actor,
                          dossier_code=dossier_code, upload=staged, document_type=paper.document_type,
                          title=paper.title, metadata=DocumentMetadata())
    finally:
        staged.path.unlink(missing_ok=True)


def land_application(name: str, parcel: str) -> DemoPaper:
    return DemoPaper("don-dang-ky.pdf", f"Đơn đăng ký đất đai - {name}", DocumentType.APPLICATION_FORM, [[
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "",
        "ĐƠN ĐĂNG KÝ BIẾN ĐỘNG ĐẤT ĐAI, TÀI SẢN GẮN LIỀN VỚI ĐẤT",
        f"Người sử dụng đất: {name}", f"Thông tin thửa đất: {parcel}",
        "Địa chỉ thửa đất: khu phố 5, phường Trấn Biên, tỉnh Đồng Nai"]])


def load_three_in_one(backends: Backends, *, received_at: datetime, next_morning: datetime, now: datetime) -> int:
    """A birth, residence and health-insurance group received at phường Trấn Biên: the birth is registered,
    the police are working on the residence, social insurance has not started on the card. Returns how many
    dossiers were opened."""
    actors = {name: load_principal(uow=backends.uow(), username=name)
              for name in ("tiepnhan.tranbien", "xuly.tranbien", "xuly.congan")}
    clock = FixedClock(received_at)
    intake = receive_dossier(
        uow=backends.uow(), clock=clock, calendar=backends.calendar, signer=backends.signer,
        actor=actors["tiepnhan.tranbien"], procedure_code="2.001023", channel=Channel.COUNTER, received_at=received_at,
        applicant=Applicant(ApplicantKind.PERSON, "Trần Thị Hồng", "075192006789", phone="0913456789",
                            address="khu phố 3, phường Trấn Biên, tỉnh Đồng Nai"),
        subject="Khai sinh, đăng ký thường trú, thẻ BHYT cho bé Nguyễn Minh An (demo)")
    attach_paper(backends, clock=clock, actor=actors["tiepnhan.tranbien"], dossier_code=intake.dossier.code,
                 paper=DemoPaper("to-khai-lien-thong.pdf", "Tờ khai liên thông khai sinh, thường trú, BHYT",
                                 DocumentType.APPLICATION_FORM, [[
                                     "TỜ KHAI ĐĂNG KÝ KHAI SINH", "Họ, chữ đệm, tên: NGUYỄN MINH AN",
                                     "Ngày sinh: 20/11/2026", "Nơi sinh: Bệnh viện Đa khoa Đồng Nai",
                                     "Họ tên mẹ: Trần Thị Hồng", "Nơi cư trú: khu phố 3, phường Trấn Biên"]]))
    birth, residence, _card = (d.code for d in intake.linked)
    # The desk hands the group and the birth registration over at once; the birth is registered that afternoon
    # (one working day allowed); the police take up the residence registration the next working morning.
    moves = [("tiepnhan.tranbien", intake.dossier.code, DossierState.PROCESSING, received_at + timedelta(minutes=20)),
             ("tiepnhan.tranbien", birth, DossierState.PROCESSING, received_at + timedelta(minutes=25)),
             ("xuly.tranbien", birth, DossierState.RESOLVED, received_at + timedelta(hours=6)),
             ("xuly.congan", residence, DossierState.PROCESSING, next_morning)]
    for username, code, to, at in moves:
        clock.at = min(at, now)
        transition_dossier(uow=backends.uow(), clock=clock, calendar=backends.calendar, actor=actors[username],
                           code=code, to=to)
    return 1 + len(intake.linked)


def share_with_land_registry(backends: Backends, *, dossier_code: str, at: datetime) -> None:
    """The land office shares a land dossier with the land registry system, which may attach its result; the
    system's service token is made once and kept in the data dir for the demo."""
    admin = load_principal(uow=backends.uow(), username="quantri.tinh")
    land = load_principal(uow=backends.uow(), username="xuly.vpdkdd")
    clock = FixedClock(at)
    share_dossier(uow=backends.uow(), clock=clock, actor=land, dossier_code=dossier_code,
                  grantee_agency_code=LAND_REGISTRY, purpose="Cập nhật biến động vào cơ sở dữ liệu đất đai",
                  expires_at=at + timedelta(days=60), allow_attach=True)
    existing = [a for a in list_integrations(uow=backends.uow(), actor=admin, agency_code=LAND_REGISTRY)
                if a.name == REGISTRY_ACCOUNT]
    if existing:
        return
    issued = create_integration(uow=backends.uow(), clock=clock, actor=admin, name=REGISTRY_ACCOUNT,
                                agency_code=LAND_REGISTRY, scopes=[Scope.READ, Scope.ATTACH])
    path = backends.settings.data_dir / TOKEN_FILE
    path.write_text(f"{issued.token}\n", encoding="utf-8")
    path.chmod(0o600)
