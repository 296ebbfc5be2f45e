"""The desk's pages: Hôm nay, the receipt, the list and its downloads, a dossier and its steps, printed forms.

Every page starts from cases.desk.access; every change is a step of the dossier (cases.desk.steps).
"""

import csv
import io
import tempfile
from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cases.catalogue.calendar import calendar
from cases.catalogue.models import Procedure
from cases.catalogue.search import search_procedures
from cases.catalogue.units import letter_place
from cases.core import pager, safe
from cases.core.formats import long_datetime
from cases.core.routing import reads_from_replica
from cases.desk import access, lookup, outcome, timeline
from cases.desk.models import Dossier
from cases.desk.states import ALLOWED, EventKind, PauseKind
from cases.desk.steps import ActionRefused
from cases.exchange import export_jobs
from cases.exchange.columns import DOSSIER_KEYS
from cases.exchange.export import dossier_rows, export_dossiers, formatted_by_database
from cases.filters import filtered_dossiers
from cases.forms import (
    AssignForm,
    CorrectDateForm,
    RateForm,
    ReasonForm,
    ReceiveForm,
    ResolveForm,
    StepForm,
    SupplementForm,
)

from . import process
from .acting import act

PAGE_SIZE = 50
TODAY_LIST_SIZE = 10
SEARCH_LIMIT = 15
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- Hôm nay ----------------------------------------------------------------------------------------
TODAY_SECTIONS = [
    # (key, bucket of cases.desk.outcome, tone, what to say when empty)
    ("overdue", outcome.OVERDUE, "red", "Không có hồ sơ quá hạn."),
    ("today", outcome.DUE_TODAY, "amber", "Không có hồ sơ đến hạn hôm nay."),
    ("soon", outcome.DUE_SOON, "green", "Không có hồ sơ đến hạn ngày làm việc tiếp theo."),
]


def deadline_links(h):
    """{bucket: the dossier list showing exactly that bucket}: the Today page and the header badge link there."""
    base = reverse("cases:dossier_list")
    return {bucket: f"{base}?{urlencode({'han': bucket, 'sort': 'due_at'})}" for bucket in outcome.DEADLINE_LABELS}


@reads_from_replica
def today(request):
    """Open dossiers that need attention now: overdue, due today, due by the end of the next working day."""
    h = outcome.horizons()
    watched = access.watched_dossiers(request.user)
    counts = outcome.deadline_counts(watched, h)
    request.deadline_counts = (h, counts)  # the header's badge shows the same counts: one query, not two
    links = deadline_links(h)
    conditions = h.conditions()
    sections = []
    for key, bucket, tone, empty in TODAY_SECTIONS:
        shown = []
        if counts[bucket]:
            shown = list(
                watched.filter(outcome.open_q(), conditions[bucket])
                .select_related("procedure", "unit", "handler")
                .order_by("due_at", "pk")[:TODAY_LIST_SIZE]
            )
        title = outcome.DEADLINE_LABELS[bucket]
        sections.append(
            {"key": key, "title": title, "tone": tone, "empty": empty, "count": counts[bucket], "dossiers": shown,
             "url": links[bucket]}
        )  # fmt: skip
    context = {
        "sections": sections, "now": h.now, "horizons": h, "own_desks": access.watches_desks(request.user),
        "unit_column": access.sees_several_units(request.user),
    }  # fmt: skip
    return render(request, "cases/today.html", context)


# --- Tiếp nhận hồ sơ ---------------------------------------------------------------------------------
def _require_desk(user):
    if not access.may_receive(user):
        raise PermissionDenied("Chỉ cán bộ Bộ phận Một cửa được tiếp nhận hồ sơ.")


def receive(request):
    _require_desk(request.user)
    form = ReceiveForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            dossier = Dossier.receive(
                unit=form.receiving_unit,
                procedure=data["procedure"],
                applicant_name=data["applicant_name"].strip(),
                by=request.user,
                code=data["code"],
                **form.details(),
            )
        except ActionRefused as refused:
            form.add_error(None, refused)
        else:
            messages.success(request, f"Đã tiếp nhận hồ sơ {dossier.code}.")
            if warning := dossier.last_warning():
                messages.warning(request, warning)
            return redirect("cases:receipt", code=dossier.code)
    return render(request, "cases/receive.html", {"form": form})


@require_GET
def procedure_search(request):
    """Procedures matching every word typed, with or without diacritics, the best match first."""
    results = [
        {
            "id": procedure.pk,
            "code": procedure.code,
            "name": procedure.name,
            "field": procedure.field.name,
            "processing_days": procedure.processing_days,
        }
        for procedure in search_procedures(request.GET.get("q", ""), SEARCH_LIMIT)
    ]
    return JsonResponse({"results": results})


@require_GET
def due_preview(request):
    """The due time a dossier received now would get: shown on the form before it is saved."""
    try:
        procedure = Procedure.objects.get(pk=int(request.GET.get("procedure", "")))
    except (ValueError, Procedure.DoesNotExist):
        return JsonResponse({"error": "Không tìm thấy thủ tục."}, status=404)
    now = timezone.now()
    due_at = calendar().due_at(now, procedure.processing_days, procedure.same_day_cutoff)
    local_due = timezone.localtime(due_at)
    return JsonResponse(
        {
            "procedure": procedure.pk,
            "processing_days": procedure.processing_days,
            "received_at": timezone.localtime(now).isoformat(),
            "due_at": local_due.isoformat(),
            "due_at_text": f"{local_due:%H:%M %d/%m/%Y}",
            "due_at_long": long_datetime(local_due),
            # The papers the procedure requires, for the desk to tick at receipt.
            "papers": list(procedure.required_papers.filter(active=True).values_list("name", flat=True)),
        }
    )


# --- printable forms --------------------------------------------------------------------------------
def receipt(request, code):
    """Mẫu 01: Giấy tiếp nhận hồ sơ và hẹn trả kết quả."""
    dossier = access.get_dossier_or_404(request.user, code)
    papers = [line for line in dossier.papers.splitlines() if line.strip()]
    context = {
        "dossier": dossier,
        "papers": papers,
        "place": letter_place(dossier.desk),
        "lookup_key": lookup.lookup_key(dossier.code),
        "lookup_url": public_url(request, reverse("lookup_code", kwargs={"code": dossier.code})),
    }
    return render(request, "cases/receipt.html", context)


def public_url(request, path):
    """An address the applicant can open from home: PUBLIC_URL when set, else the one the page was served from."""
    return f"{settings.PUBLIC_URL}{path}" if settings.PUBLIC_URL else request.build_absolute_uri(path)


def form_02(request, code):
    """Mẫu 02: Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ (the latest request)."""
    dossier = access.get_dossier_or_404(request.user, code)
    stop = dossier.clock_stops.filter(kind=PauseKind.SUPPLEMENT).select_related("by").order_by("-started_at").first()
    if stop is None:
        raise Http404("Hồ sơ chưa có yêu cầu bổ sung")
    return render(
        request, "cases/form_02.html", {"dossier": dossier, "stop": stop, "place": letter_place(dossier.unit)}
    )


def form_03(request, code):
    """Mẫu 03: Phiếu từ chối tiếp nhận, giải quyết hồ sơ."""
    dossier = access.get_dossier_or_404(request.user, code)
    event = dossier.events.filter(kind=EventKind.REFUSED).select_related("by").order_by("-at").first()
    if event is None:
        raise Http404("Hồ sơ không bị từ chối")
    return render(
        request, "cases/form_03.html", {"dossier": dossier, "event": event, "place": letter_place(dossier.unit)}
    )


# --- Danh sách hồ sơ ---------------------------------------------------------------------------------
@reads_from_replica
def dossier_list(request):
    filterset, queryset = filtered_dossiers(request.user, request.GET)
    if not queryset.query.order_by:
        queryset = queryset.order_by("-received_at", "-pk")  # the newest first; the id makes the key unique
    # A count capped at 10.000 and keyset pages past it (cases.core.pager): never COUNT(*) nor a deep OFFSET.
    page = pager.paginate(outcome.with_outcome(queryset), request.GET, PAGE_SIZE)
    query = request.GET.copy()
    for name in pager.CLEAR:
        query.pop(name, None)
    context = {
        "filter": filterset,
        "page": page,
        "page_range": page.page_range(),
        "unit_column": access.sees_several_units(request.user, filterset.form.fields["unit"].units()),
        "counter_caption": filterset.counter_caption() if filterset.is_bound else "",
        "download_query": query.urlencode(),
        "may_upload": access.may_upload(request.user),
    }
    return render(request, "cases/dossier_list.html", context)


@require_http_methods(["GET", "POST"])
@reads_from_replica
def dossier_export(request, fmt):
    """The list as filtered on screen, in the exchange format's columns: CSV streamed, XLSX through a temp file.

    A list above EXPORT_INLINE_MAX_ROWS is not written in the request: the page says so and its button (POST)
    starts a background export (cases.exchange.export_jobs) with the same filters, whose page shows the progress.
    """
    if fmt not in export_jobs.FORMATS:
        raise Http404("Chỉ tải được CSV hoặc XLSX")
    _, queryset = filtered_dossiers(request.user, request.GET)
    name = f"ho-so-{timezone.localdate():%Y%m%d}.{fmt}"
    if request.method == "POST":
        query = [(key, value) for key, values in request.GET.lists() for value in values]
        job = export_jobs.start(request.user, fmt, query, name)
        return redirect("cases:export_job", job_id=job.uid)
    if not export_jobs.inline(queryset):
        context = {
            "fmt": fmt, "name": name, "query": request.GET.urlencode(), "limit": settings.EXPORT_INLINE_MAX_ROWS,
            "exports": export_jobs.recent(request.user),  # where a user comes back for a file asked for earlier
        }  # fmt: skip
        return render(request, "cases/export_start.html", context)
    if fmt == "csv" and not formatted_by_database(queryset):
        response = StreamingHttpResponse(_csv_lines(dossier_rows(queryset)), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    # PostgreSQL formats the rows (COPY) several times faster than Python; the zip of an XLSX needs a seekable
    # target: both go to a temp file, never to memory.
    target = tempfile.TemporaryFile()  # noqa: SIM115 — FileResponse closes it (and the OS deletes it)
    export_dossiers(target, queryset, filename=name)
    target.seek(0)
    content_type = XLSX if fmt == "xlsx" else "text/csv; charset=utf-8"
    return FileResponse(target, as_attachment=True, filename=name, content_type=content_type)


def _csv_lines(rows, batch=500):
    """UTF-8 with a BOM (Excel then shows the Vietnamese letters), a few hundred rows per chunk."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(DOSSIER_KEYS)
    for count, row in enumerate(rows, start=1):
        writer.writerow(safe.csv_row(row))
        if count % batch == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


# --- one dossier and its steps -------------------------------------------------------------------
@dataclass(frozen=True)
class Action:
    label: str
    form: type
    method: str  # the step of cases.desk.steps; which states allow it is cases.desk.states.ALLOWED
    done: str
    danger: bool = False
    # Only for a dossier outside the internal process (imported, older than it): inside it, the official is named by
    # handing the step over to them, and who handled it is whoever took the handling step up.
    outside_process: bool = False

    @property
    def states(self):
        return ALLOWED[self.method]


ACTIONS = {
    "yeu-cau-bo-sung": Action(
        "Yêu cầu bổ sung",
        SupplementForm,
        "request_supplement",
        "Đã ghi yêu cầu bổ sung; thời hạn tạm dừng. In Mẫu 02 cho người nộp.",
    ),
    "nhan-bo-sung": Action(
        "Đã nhận hồ sơ bổ sung", StepForm, "receive_supplement", "Đã nhận hồ sơ bổ sung; thời hạn được tính tiếp."
    ),
    "tam-dung": Action("Tạm dừng", ReasonForm, "pause", "Đã tạm dừng giải quyết hồ sơ."),
    "tiep-tuc": Action("Tiếp tục giải quyết", StepForm, "resume", "Đã tiếp tục giải quyết hồ sơ."),
    "co-ket-qua": Action("Ghi nhận có kết quả", ResolveForm, "resolve", "Đã ghi nhận có kết quả."),
    "tra-ket-qua": Action("Trả kết quả", StepForm, "return_result", "Đã trả kết quả cho người nộp."),
    "danh-gia": Action(
        "Ghi đánh giá của người nộp", RateForm, "rate", "Đã ghi đánh giá mức độ hài lòng (phiếu giấy, máy tại quầy)."
    ),
    "phan-cong": Action("Phân công xử lý", AssignForm, "assign", "Đã phân công người xử lý.", outside_process=True),
    "tu-choi": Action("Từ chối", ReasonForm, "refuse", "Đã từ chối hồ sơ. In Mẫu 03 cho người nộp.", danger=True),
    "rut": Action("Rút hồ sơ", ReasonForm, "withdraw", "Đã ghi nhận người nộp rút hồ sơ.", danger=True),
    "sua-ngay": Action("Sửa ngày", CorrectDateForm, "correct_date", "Đã sửa ngày; giá trị cũ được lưu."),
}


def _rated(dossier):
    """Rated once already: the rating action is not offered again (Dossier.rate refuses a second one)."""
    return type(dossier).objects.filter(pk=dossier.pk, rating__isnull=False).exists()


def _render_detail(request, dossier, bound=None, status=200):
    can_change = access.changeable_by(request.user).filter(pk=dossier.pk).exists()
    steps = process.panel(request, dossier)
    actions = []
    if can_change:
        for slug, action in ACTIONS.items():
            if (
                dossier.state not in action.states
                or (action.outside_process and steps["in_process"])
                or (action.method == "rate" and _rated(dossier))
            ):
                continue
            form = bound[1] if bound and bound[0] == slug else action.form(dossier=dossier, prefix=slug)
            actions.append({"slug": slug, "action": action, "form": form})
    context = {
        "dossier": dossier,
        "outcome": outcome.outcome_of(dossier),
        "timeline": timeline.lines(dossier.events.select_related("by")),
        "stops": dossier.clock_stops.select_related("by"),
        "actions": actions,
        "can_change": can_change,
        "process": steps,
        "has_supplement": dossier.clock_stops.filter(kind=PauseKind.SUPPLEMENT).exists(),
    }
    return render(request, "cases/dossier_detail.html", context, status=status)


def dossier_detail(request, code):
    return _render_detail(request, access.get_dossier_or_404(request.user, code))


@require_POST
def dossier_action(request, code, action):
    # The dossier first: outside the user's desks it does not exist, whatever the action.
    dossier = access.get_dossier_or_404(request.user, code, for_change=True)
    spec = ACTIONS.get(action)
    if spec is None:
        raise Http404("Không có thao tác này")
    if spec.outside_process and dossier.steps.exists():
        messages.error(request, f"{spec.label}: hồ sơ đi theo quy trình nội bộ, hãy chuyển bước cho công chức xử lý.")
        return redirect("cases:dossier_detail", code=dossier.code)
    form = spec.form(request.POST, dossier=dossier, prefix=action)
    if not form.is_valid():
        messages.error(request, f"{spec.label}: vui lòng sửa các ô được đánh dấu.")
        return _render_detail(request, dossier, bound=(action, form), status=400)
    if act(request, dossier, spec.method, form.arguments()):
        messages.success(request, spec.done)
        if warning := dossier.last_warning():
            messages.warning(request, warning)
    return redirect("cases:dossier_detail", code=dossier.code)
