"""The process control sheet (Mẫu 06 of 2025, Mẫu 05 of 2018), printed from a dossier's page. Rows come from
cases.desk.control; who may read the dossier from cases.desk.access."""

from django.shortcuts import render
from django.utils import timezone

from cases.catalogue.calendar import calendar
from cases.catalogue.units import letter_place
from cases.desk import access, control
from cases.desk.states import EventKind


def control_sheet(request, code):
    dossier = access.get_dossier_or_404(request.user, code)
    work_calendar = calendar()
    steps = dossier.steps.select_related("unit", "holder", "handed_by").order_by("handed_at", "id")
    returned = dossier.events.filter(kind=EventKind.RETURNED).select_related("by").order_by("-at").first()
    rows = control.hand_overs(
        dossier, steps, dossier.process_plan(work_calendar), work_calendar, returned_by=returned and returned.by
    )
    context = {
        "dossier": dossier,
        "rows": rows,
        "partners": control.partners(rows),
        "place": letter_place(dossier.unit),
        "today": timezone.localdate(),
    }
    return render(request, "cases/control_sheet.html", context)
