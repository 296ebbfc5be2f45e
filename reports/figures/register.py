"""The register (Sổ theo dõi hồ sơ: Mẫu 07 of Thông tư 03/2025/TT-VPCP, Mẫu 06 of Thông tư 01/2018/TT-VPCP): the
dossiers a unit (and the units below it) received in a period, one line each, in the order they were received.

The page and the XLSX read the same rows from here. "Chuyển hồ sơ đến cơ quan giải quyết" is the first hand-over
out of the desk (the first step not performed by the desk); "Nhận kết quả" is when the result was ready.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import F, OuterRef, Subquery

from cases.catalogue.models import Performer
from cases.core.formats import day
from cases.desk.models import Dossier, DossierStep
from cases.desk.outcome import ENDED, LABELS, outcome_of
from cases.desk.states import State

from .counters import unit_ids


@dataclass
class RegisterRow:
    number: int
    code: str
    procedure: str
    applicant: str
    address_phone: str
    unit: str
    received_at: datetime
    due_at: datetime
    handed_at: datetime | None
    resolved_at: datetime | None
    returned_at: datetime | None
    note: str


def dossiers(period, units):
    """The dossiers the register lists: received by the units in the period, by unit (tree order), then as received."""
    first_hand_over = (
        DossierStep.objects.filter(dossier=OuterRef("pk"))
        .exclude(performer=Performer.DESK)
        .order_by("handed_at", "id")
        .values("handed_at")[:1]
    )
    return (
        Dossier.objects.filter(
            unit_id__in=unit_ids(units), received_at__gte=period.start_at, received_at__lt=period.end_at
        )
        .annotate(handed_out_at=Subquery(first_hand_over), apology_new_due=F("apology__new_due_at"))
        .select_related("procedure", "unit")
        .order_by("unit__path", "received_at", "pk")
    )


def _note(dossier, now):
    kind = outcome_of(dossier, now)
    if kind == ENDED or dossier.state in (State.SUPPLEMENT, State.PAUSED):
        text = dossier.get_state_display()
    else:
        text = LABELS[kind]
    if dossier.apology_new_due:
        text += f"; đã xin lỗi, hẹn lại {day(dossier.apology_new_due)}"
    return text


def rows(period, units, now=None, limit=None):
    """[RegisterRow] (a generator: the XLSX streams a year of a province); `limit` caps what a page shows."""
    found = dossiers(period, units)
    if limit is not None:
        found = found[:limit]
    for number, dossier in enumerate(found.iterator(chunk_size=2000), start=1):
        contact = ", ".join(part for part in (dossier.applicant_address, dossier.applicant_phone) if part)
        yield RegisterRow(
            number=number,
            code=dossier.code,
            procedure=dossier.procedure.name,
            applicant=dossier.applicant_name,
            address_phone=contact,
            unit=dossier.unit.name,
            received_at=dossier.received_at,
            due_at=dossier.due_at,
            handed_at=dossier.handed_out_at,
            resolved_at=dossier.resolved_at,
            returned_at=dossier.returned_at,
            note=_note(dossier, now),
        )


def count(period, units):
    return Dossier.objects.filter(
        unit_id__in=unit_ids(units), received_at__gte=period.start_at, received_at__lt=period.end_at
    ).count()
