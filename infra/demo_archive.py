"""Demo data for the archive: birth registrations closed six years ago at phường Trấn Biên, a 5-year retention
schedule that makes them due, and the ward's archival file of that year — so that the archivist's page shows a queue,
a file and its lists from the first `make run`."""

from __future__ import annotations

from datetime import datetime, time

from infra.backends import Backends
from infra.demo_lien_thong import DemoPaper, attach_paper
from records.clock import VN_TZ, FixedClock
from records.dossiers import Applicant, ApplicantKind, Channel, DossierState
from records.procedures import DocumentType
from records.retention import EndAction
from records.services.archival_files import gather_files
from records.services.catalogue import load_principal
from records.services.dossiers import transition_dossier
from records.services.intake import receive_dossier
from records.services.retention import save_schedule

BIRTH_REGISTRATION = "1.001193"
WARD = "000.60.01.H19"
_CHILDREN = [("Phạm Gia Hân", "075220001101"), ("Lý Minh Khoa", "075220001102")]


def load_archive_demo(backends: Backends) -> int:
    """Returns how many dossiers it opened."""
    now = backends.clock.now()
    closed_year = now.year - 6
    desk = load_principal(uow=backends.uow(), username="tiepnhan.tranbien")
    clerk = load_principal(uow=backends.uow(), username="xuly.tranbien")
    for day, (child, id_number) in enumerate(_CHILDREN, start=3):
        clock = FixedClock(datetime.combine(now.date().replace(year=closed_year, month=3, day=day), time(8, 30), VN_TZ))
        code = receive_dossier(uow=backends.uow(), clock=clock, calendar=backends.calendar, actor=desk,
                               procedure_code=BIRTH_REGISTRATION,
                               applicant=Applicant(ApplicantKind.PERSON, child, id_number,
                                                   address="phường Trấn Biên, tỉnh Đồng Nai"),
                               channel=Channel.COUNTER, received_at=clock.now(), subject="Hồ sơ mẫu lưu trữ (demo)",
                               signer=backends.signer).dossier.code
        attach_paper(backends, clock=clock, actor=desk, dossier_code=code, paper=DemoPaper(
            "to-khai-khai-sinh.pdf", f"Tờ khai đăng ký khai sinh - {child}", DocumentType.APPLICATION_FORM,
            [["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "",
              "TỜ KHAI ĐĂNG KÝ KHAI SINH", f"Họ, chữ đệm, tên: {child}", "Nơi sinh: phường Trấn Biên"]]))
        for who, to in ((desk, DossierState.PROCESSING), (clerk, DossierState.RESOLVED),
                        (desk, DossierState.RESULT_RETURNED)):
            clock.at = clock.at.replace(hour=clock.at.hour + 1)
            transition_dossier(uow=backends.uow(), clock=clock, calendar=backends.calendar, actor=who, code=code,
                               to=to)
    province = load_principal(uow=backends.uow(), username="luutru.tinh")
    save_schedule(uow=backends.uow(), clock=backends.clock, actor=province, procedure_code=BIRTH_REGISTRATION,
                  years=5, legal_minimum_years=5, end_action=EndAction.DESTROY,
                  note="Hồ sơ đăng ký khai sinh (bản lưu tại bộ phận một cửa): 05 năm (demo)")
    ward = load_principal(uow=backends.uow(), username="luutru.tranbien")
    gather_files(uow=backends.uow(), clock=backends.clock, actor=ward, agency_code=WARD, year=closed_year)
    return len(_CHILDREN)
