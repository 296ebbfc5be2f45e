"""The desk's pages. Every page starts from cases.access; every change is a Dossier method."""

import csv
import io
import tempfile
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from . import access, exchange, imports, outcome
from .actions import ActionRefused
from .calendar import calendar
from .filters import DossierFilter
from .forms import (
    AssignForm,
    CorrectDateForm,
    ImportConfirmForm,
    ImportUploadForm,
    ReasonForm,
    ReceiveForm,
    StepForm,
    SupplementForm,
)
from .models import OPEN_STATES, Dossier, EventKind, ImportStatus, PauseKind, Procedure, State
from .templatetags.portal import long_datetime
from .text import fold

PAGE_SIZE = 50
TODAY_LIST_SIZE = 10
SEARCH_LIMIT = 15
JOB_HISTORY = 20
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- Hôm nay ----------------------------------------------------------------------------------------
def today(request):
    """Open dossiers that need attention: overdue, due today, due within the next working day."""
    now = timezone.now()
    work_calendar = calendar()
    local_now = timezone.localtime(now)
    tomorrow = datetime.combine(local_now.date() + timedelta(days=1), time.min, tzinfo=local_now.tzinfo)
    horizon = work_calendar.add_working_time(now, work_calendar.working_day_seconds)
    open_dossiers = (
        access.visible_to(request.user).filter(outcome.open_q()).select_related("procedure", "unit", "handler")
    )
    list_url = reverse("cases:dossier_list")
    day = f"{local_now:%d/%m/%Y}"
    sections = [
        {
            "key": "overdue",
            "title": "Đang quá hạn",
            "tone": "red",
            "empty": "Không có hồ sơ quá hạn.",
            "queryset": open_dossiers.filter(outcome.overdue_q(now)),
            "url": f"{list_url}?overdue=on&sort=due_at",
        },
        {
            "key": "today",
            "title": "Đến hạn trong hôm nay",
            "tone": "amber",
            "empty": "Không có hồ sơ đến hạn hôm nay.",
            "queryset": open_dossiers.filter(due_at__gte=now, due_at__lt=tomorrow),
            "url": f"{list_url}?open=on&due_after={day}&due_before={day}&sort=due_at",
        },
        {
            "key": "soon",
            "title": "Đến hạn trong 1 ngày làm việc tới",
            "tone": "green",
            "empty": "Không có hồ sơ đến hạn trong ngày làm việc tới.",
            "queryset": open_dossiers.filter(due_at__gte=max(now, tomorrow), due_at__lte=horizon),
            "url": f"{list_url}?open=on&due_after={tomorrow:%d/%m/%Y}"
            f"&due_before={timezone.localtime(horizon):%d/%m/%Y}&sort=due_at",
        },
    ]
    for section in sections:
        queryset = section.pop("queryset")
        section["count"] = queryset.count()
        section["dossiers"] = list(queryset.order_by("due_at", "pk")[:TODAY_LIST_SIZE]) if section["count"] else []
    return render(request, "cases/today.html", {"sections": sections, "now": now, "horizon": horizon})


# --- Tiếp nhận hồ sơ ---------------------------------------------------------------------------------
def _require_desk(user):
    if not access.desk_units(user).exists():
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
            return redirect("cases:receipt", code=dossier.code)
    return render(request, "cases/receive.html", {"form": form})


@require_GET
def procedure_search(request):
    """Procedures whose code or name contains every word typed, with or without diacritics."""
    words = fold(request.GET.get("q", "")).split()
    if not words:
        return JsonResponse({"results": []})
    condition = Q()
    for word in words:
        condition &= Q(search_name__contains=word)
    procedures = Procedure.objects.filter(condition, active=True).select_related("field").order_by("code")
    results = [
        {
            "id": procedure.pk,
            "code": procedure.code,
            "name": procedure.name,
            "field": procedure.field.name,
            "processing_days": procedure.processing_days,
        }
        for procedure in procedures[:SEARCH_LIMIT]
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
        }
    )


# --- printable forms --------------------------------------------------------------------------------
def _place(unit):
    return unit.place_name or (unit.parent.place_name if unit.parent_id else "")


def receipt(request, code):
    """Mẫu 01: Giấy tiếp nhận hồ sơ và hẹn trả kết quả."""
    dossier = access.get_dossier_or_404(request.user, code)
    papers = [line for line in dossier.papers.splitlines() if line.strip()]
    return render(request, "cases/receipt.html", {"dossier": dossier, "papers": papers, "place": _place(dossier.unit)})


def form_02(request, code):
    """Mẫu 02: Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ (the latest request)."""
    dossier = access.get_dossier_or_404(request.user, code)
    stop = dossier.clock_stops.filter(kind=PauseKind.SUPPLEMENT).select_related("by").order_by("-started_at").first()
    if stop is None:
        raise Http404("Hồ sơ chưa có yêu cầu bổ sung")
    return render(request, "cases/form_02.html", {"dossier": dossier, "stop": stop, "place": _place(dossier.unit)})


def form_03(request, code):
    """Mẫu 03: Phiếu từ chối tiếp nhận, giải quyết hồ sơ."""
    dossier = access.get_dossier_or_404(request.user, code)
    event = dossier.events.filter(kind=EventKind.REFUSED).select_related("by").order_by("-at").first()
    if event is None:
        raise Http404("Hồ sơ không bị từ chối")
    return render(request, "cases/form_03.html", {"dossier": dossier, "event": event, "place": _place(dossier.unit)})


# --- Danh sách hồ sơ ---------------------------------------------------------------------------------
def _filtered_dossiers(request):
    """The list's filterset and queryset: the screen and its downloads show exactly the same dossiers."""
    base = access.visible_to(request.user).select_related("procedure__field", "unit", "handler")
    filterset = DossierFilter(request.GET or None, queryset=base, request=request)
    # A value outside the user's scope (another unit's id) shows nothing, never the unfiltered list.
    queryset = base.none() if filterset.is_bound and not filterset.is_valid() else filterset.qs
    return filterset, queryset


def dossier_list(request):
    filterset, queryset = _filtered_dossiers(request)
    page = Paginator(outcome.with_outcome(queryset), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "filter": filterset,
        "page": page,
        "counter_caption": filterset.counter_caption() if filterset.is_bound else "",
        "download_query": query.urlencode(),
        "may_upload": imports.may_upload(request.user),
    }
    return render(request, "cases/dossier_list.html", context)


@require_GET
def dossier_export(request, fmt):
    """The list as filtered on screen, in the exchange format's columns: CSV streamed, XLSX through a temp file."""
    if fmt not in ("csv", "xlsx"):
        raise Http404("Chỉ tải được CSV hoặc XLSX")
    _, queryset = _filtered_dossiers(request)
    name = f"ho-so-{timezone.localdate():%Y%m%d}.{fmt}"
    rows = exchange.dossier_rows(queryset)
    if fmt == "csv":
        response = StreamingHttpResponse(_csv_lines(rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    # openpyxl's write-only mode needs a seekable target for the zip: rows go to a temp file, never to memory.
    target = tempfile.TemporaryFile()  # noqa: SIM115 — FileResponse closes it (and the OS deletes it)
    exchange.write_xlsx(target, list(exchange.DOSSIER_KEYS), rows, title="Hồ sơ")
    target.seek(0)
    return FileResponse(target, as_attachment=True, filename=name, content_type=XLSX)


def _csv_lines(rows, batch=500):
    """UTF-8 with a BOM (Excel then shows the Vietnamese letters), a few hundred rows per chunk."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(exchange.DOSSIER_KEYS)
    for count, row in enumerate(rows, start=1):
        writer.writerow(row)
        if count % batch == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


# --- Nhập hồ sơ từ tệp ---------------------------------------------------------------------------------
def _require_uploader(user):
    if not imports.may_upload(user):
        raise PermissionDenied("Chỉ cán bộ Một cửa và Văn phòng được nhập hồ sơ từ tệp.")


def _job_or_404(request, pk):
    _require_uploader(request.user)
    return get_object_or_404(imports.jobs_of(request.user), pk=pk)


def import_upload(request):
    _require_uploader(request.user)
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        job = imports.create_job(request.user, form.cleaned_data["file"])
        return redirect("cases:import_job", pk=job.pk)
    jobs = list(imports.jobs_of(request.user).filter(user=request.user)[:JOB_HISTORY])
    for job in jobs:
        job.checking = imports.is_checking(job)
    return render(request, "cases/import_upload.html", {"form": form, "jobs": jobs, "max_mb": 50})


def import_job(request, pk):
    """One job: checking (progress), the preview and confirmation, importing (progress), the summary."""
    job = _job_or_404(request, pk)
    context = {
        "job": job,
        "checking": imports.is_checking(job),
        "sent": imports.was_sent(job),
        "has_rejected": imports.has_rejected_file(job),
        "confirm_form": ImportConfirmForm(initial={"skip_invalid": job.skip_invalid}),
        "problems": [_split_problem(problem) for problem in job.problems],
    }
    job.checking = context["checking"]
    if job.status == ImportStatus.UPLOADED:
        context["headers"], context["rows"] = imports.preview_rows(job)
        context["problem_lines"] = {line for line, _ in context["problems"]}
    return render(request, "cases/import_job.html", context)


def _split_problem(problem):
    """'dòng 17: ngày có kết quả: …' → (17, 'ngày có kết quả: …'); a problem of the whole file has no line."""
    head, _, rest = problem.partition(": ")
    if head.startswith("dòng ") and head[5:].isdigit() and rest:
        return int(head[5:]), rest
    return "", problem


@require_GET
def import_job_status(request, pk):
    job = _job_or_404(request, pk)
    return JsonResponse(
        {
            "status": job.status,
            "status_label": job.get_status_display(),
            "checking": imports.is_checking(job),
            "sent": imports.was_sent(job),
            "processed_rows": job.processed_rows,
            "total_rows": job.total_rows,
            "progress": min(job.progress, 100),
            # The page reloads to show the preview or the summary once there is nothing left to wait for.
            "finished": job.status in (ImportStatus.UPLOADED, ImportStatus.DONE, ImportStatus.FAILED),
        }
    )


@require_POST
def import_confirm(request, pk):
    job = _job_or_404(request, pk)
    if job.status != ImportStatus.UPLOADED:
        messages.info(request, "Tệp này đã được xác nhận.")
        return redirect("cases:import_job", pk=job.pk)
    form = ImportConfirmForm(request.POST)
    skip_invalid = form.is_valid() and form.cleaned_data["skip_invalid"]
    if job.refused_count and not skip_invalid:
        messages.error(
            request,
            "Tệp có dòng lỗi nên chưa nhập gì. Sửa tệp rồi tải lên lại, hoặc chọn «Bỏ qua dòng lỗi» để chỉ nhập các "
            "dòng hợp lệ.",
        )
        return redirect("cases:import_job", pk=job.pk)
    imports.confirm(job, skip_invalid)
    return redirect("cases:import_job", pk=job.pk)


@require_POST
def import_retry(request, pk):
    """Send a job again after the queue could not be reached."""
    job = _job_or_404(request, pk)
    if job.status == ImportStatus.QUEUED and not imports.was_sent(job):
        imports.enqueue(job, check_only=imports.is_checking(job))
    return redirect("cases:import_job", pk=job.pk)


@require_GET
def import_rejected(request, pk):
    """The refused rows with their `loi` column, as the uploaded file's kind."""
    job = _job_or_404(request, pk)
    if not imports.has_rejected_file(job):
        raise Http404("Không có tệp dòng bị từ chối")
    name = imports.rejected_name(job)
    download = f"{Path(job.original_name).stem}.loi{Path(name).suffix}"
    return FileResponse(default_storage.open(name, "rb"), as_attachment=True, filename=download)


# --- one dossier and its steps -------------------------------------------------------------------
@dataclass(frozen=True)
class Action:
    label: str
    form: type
    method: str
    states: tuple
    done: str
    danger: bool = False


ANY_STATE = tuple(State.values)
ACTIONS = {
    "yeu-cau-bo-sung": Action(
        "Yêu cầu bổ sung",
        SupplementForm,
        "request_supplement",
        (State.PROCESSING,),
        "Đã ghi yêu cầu bổ sung; thời hạn tạm dừng. In Mẫu 02 cho người nộp.",
    ),
    "nhan-bo-sung": Action(
        "Đã nhận hồ sơ bổ sung",
        StepForm,
        "receive_supplement",
        (State.SUPPLEMENT,),
        "Đã nhận hồ sơ bổ sung; thời hạn được tính tiếp.",
    ),
    "tam-dung": Action("Tạm dừng", ReasonForm, "pause", (State.PROCESSING,), "Đã tạm dừng giải quyết hồ sơ."),
    "tiep-tuc": Action("Tiếp tục giải quyết", StepForm, "resume", (State.PAUSED,), "Đã tiếp tục giải quyết hồ sơ."),
    "co-ket-qua": Action("Ghi nhận có kết quả", StepForm, "resolve", (State.PROCESSING,), "Đã ghi nhận có kết quả."),
    "tra-ket-qua": Action("Trả kết quả", StepForm, "return_result", (State.RESOLVED,), "Đã trả kết quả cho người nộp."),
    "phan-cong": Action(
        "Phân công xử lý", AssignForm, "assign", (*OPEN_STATES, State.RESOLVED), "Đã phân công người xử lý."
    ),
    "tu-choi": Action(
        "Từ chối", ReasonForm, "refuse", OPEN_STATES, "Đã từ chối hồ sơ. In Mẫu 03 cho người nộp.", danger=True
    ),
    "rut": Action("Rút hồ sơ", ReasonForm, "withdraw", OPEN_STATES, "Đã ghi nhận người nộp rút hồ sơ.", danger=True),
    "sua-ngay": Action("Sửa ngày", CorrectDateForm, "correct_date", ANY_STATE, "Đã sửa ngày; giá trị cũ được lưu."),
}


def _render_detail(request, dossier, bound=None, status=200):
    can_change = access.changeable_by(request.user).filter(pk=dossier.pk).exists()
    actions = []
    if can_change:
        for slug, action in ACTIONS.items():
            if dossier.state not in action.states:
                continue
            form = bound[1] if bound and bound[0] == slug else action.form(dossier=dossier, prefix=slug)
            actions.append({"slug": slug, "action": action, "form": form})
    context = {
        "dossier": dossier,
        "outcome": outcome.outcome_of(dossier),
        "events": dossier.events.select_related("by"),
        "stops": dossier.clock_stops.select_related("by"),
        "actions": actions,
        "can_change": can_change,
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
    form = spec.form(request.POST, dossier=dossier, prefix=action)
    if not form.is_valid():
        messages.error(request, f"{spec.label}: vui lòng sửa các ô được đánh dấu.")
        return _render_detail(request, dossier, bound=(action, form), status=400)
    try:
        getattr(dossier, spec.method)(by=request.user, **form.arguments())
    except ActionRefused as refused:
        for message in refused.messages:
            messages.error(request, message)
    else:
        messages.success(request, spec.done)
    return redirect("cases:dossier_detail", code=dossier.code)
