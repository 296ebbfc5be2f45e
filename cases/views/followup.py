"""Follow-up pages: the apology letter (Mẫu 04) and explanations (giải trình). Rules live in cases.followup, who may
do what in cases.desk.access."""

import os

from django import forms
from django.contrib import messages
from django.db.models import Count, Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_POST

from cases.catalogue.units import letter_place
from cases.desk import access
from cases.desk.models import Apology
from cases.desk.steps import ActionRefused
from cases.followup import explanations as followup
from cases.followup.explanations import FollowupRefused
from cases.followup.models import Explanation, ExplanationRequest
from reports.figures import periods
from reports.figures.tally import tally

PERIOD_PARAMS = ("ky", "nam", "thang", "quy", "nua", "tu", "den")


# --- Mẫu 04: phiếu xin lỗi và hẹn lại ngày trả kết quả ------------------------------------------------
class ApologyForm(forms.Form):
    reason = forms.CharField(label="Lý do chậm trả kết quả", max_length=4000)
    new_due_at = forms.DateTimeField(label="Ngày hẹn trả kết quả mới", help_text="dd/mm/yyyy hh:mm")
    # One of the dossier's steps that overran (issue_apology checks it); blank: the one late most.
    step = forms.IntegerField(label="Bước gây chậm", required=False, min_value=1)


@require_POST
def apology_issue(request, code):
    dossier = access.get_dossier_or_404(request.user, code, for_change=True)
    form = ApologyForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            for error in errors:
                messages.error(request, f"{label}: {error}" if label else error)
        return redirect("cases:dossier_detail", code=dossier.code)
    try:
        dossier.issue_apology(by=request.user, **form.cleaned_data)
    except ActionRefused as refused:
        for message in refused.messages:
            messages.error(request, message)
    else:
        messages.success(request, "Đã lập phiếu xin lỗi và hẹn lại ngày trả kết quả. In Mẫu 04 gửi người nộp.")
        if warning := dossier.last_warning():
            messages.warning(request, warning)
    return redirect("cases:dossier_detail", code=dossier.code)


@require_GET
def form_04(request, code):
    dossier = access.get_dossier_or_404(request.user, code)
    apology = Apology.objects.select_related("issued_by").filter(dossier=dossier).first()
    if apology is None:
        raise Http404("Hồ sơ chưa có phiếu xin lỗi, hẹn lại")
    context = {"dossier": dossier, "apology": apology, "place": letter_place(dossier.unit)}
    return render(request, "followup/form_04.html", context)


# --- explanations ----------------------------------------------------------------------------------
def _overseen_requests(user):
    return (
        followup.overseen_requests(user)
        .annotate(
            unit_count=Count("explanations"),
            answered_count=Count("explanations", filter=Q(explanations__answered_at__isnull=False)),
        )
        .order_by("-created_at")
    )


@require_GET
def explanations(request):
    """Giải trình: the requests an office made and their progress; the explanations a unit owes."""
    user = request.user
    overseer = access.is_overseer(user)
    today = timezone.localdate()
    owed = list(followup.owed_by(user).order_by("answered_at", "-request__created_at"))
    context = {
        "requests": list(_overseen_requests(user)) if overseer else [],
        "overseer": overseer,
        "may_request": access.requesting_units(user).exists(),
        "owed": [e for e in owed if not e.answered],
        "given": [e for e in owed if e.answered],
        "today": today,
    }
    return render(request, "followup/explanations.html", context)


# --- a new request -------------------------------------------------------------------------------
class RequestForm(forms.Form):
    deadline = forms.DateField(
        label="Hạn gửi giải trình",
        help_text="dd/mm/yyyy",
        widget=forms.DateInput(attrs={"placeholder": "dd/mm/yyyy", "inputmode": "numeric", "size": 10}),
    )
    reference = forms.CharField(label="Số văn bản", max_length=120, required=False, help_text="Ví dụ: 123/UBND-VP")
    note = forms.CharField(
        label="Nội dung yêu cầu",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean_deadline(self):
        deadline = self.cleaned_data["deadline"]
        if deadline < timezone.localdate():
            raise forms.ValidationError(f"Hạn gửi giải trình {deadline:%d/%m/%Y} đã qua.")
        return deadline


def _request_scope(request, params, offices):
    """(office unit, periods.Picked) from the picker's fields; an office outside the user's is a 404."""
    code = params.get("don_vi")
    office = offices.filter(code=code).first() if code else offices.first()
    if office is None:
        raise Http404("Không có đơn vị này trong phạm vi của bạn.")
    return office, periods.pick(params, timezone.localdate())


def explanation_request_new(request):
    """Pick a period, see the units that would be named (all ticked), then ask them for an explanation."""
    offices = access.requesting_units(request.user)
    if not offices.exists():
        raise Http404("Chỉ Văn phòng hoặc quản trị được yêu cầu giải trình.")
    params = request.POST if request.method == "POST" else request.GET
    office, picked = _request_scope(request, params, offices)
    period, period_error = picked.period, picked.error
    figures = tally(period, scope=office, by_field=False)
    named = [row for row in figures.units_with_late_or_overdue() if row.unit.pk != office.pk]
    form = RequestForm(request.POST or None)
    chosen = {str(row.unit.pk) for row in named}
    if request.method == "POST":
        chosen = set(request.POST.getlist("don_vi_chon"))
        if form.is_valid() and not period_error:
            if not chosen & {str(row.unit.pk) for row in named}:
                form.add_error(None, "Chọn ít nhất một đơn vị cần giải trình.")
            else:
                try:
                    created = _create_request(request.user, office, figures.period, form.cleaned_data, chosen)
                except FollowupRefused as refused:
                    form.add_error(None, str(refused))
                else:
                    count = created.explanations.count()
                    messages.success(request, f"Đã gửi yêu cầu giải trình đến {count} đơn vị.")
                    return redirect("cases:explanation_request", pk=created.pk)
    context = {
        "form": form,
        "office": office,
        "offices": offices,
        "period": figures.period,
        "period_error": period_error,
        "named": named,
        "chosen": chosen,
        "period_params": [(name, params.get(name)) for name in ("don_vi", *PERIOD_PARAMS) if params.get(name)],
        "picker": picked,
        "default_note": picked.default_note,
    }
    return render(request, "followup/request_new.html", context)


def _create_request(user, office, period, data, chosen):
    units = [int(pk) for pk in chosen if pk.isdigit()]
    return followup.request_explanations(office_unit=office, period=period, by=user, units=units, **data)


# --- a request's progress -----------------------------------------------------------------------------
def _overseen_request_or_404(user, pk):
    found = get_object_or_404(ExplanationRequest.objects.select_related("office__parent", "created_by"), pk=pk)
    if not access.oversees(user, found.office):
        raise Http404("Không tìm thấy yêu cầu giải trình")
    return found


def _status_context(request, pk):
    found = _overseen_request_or_404(request.user, pk)
    today = timezone.localdate()
    status = followup.explanation_status(found, today=today)
    past = {e.pk for e in status.past_deadline}
    rows = sorted(
        ({"explanation": e, "past": e.pk in past, "late_answer": e.answered and e.is_late(today)} for e in
         [*status.answered, *status.waiting, *status.past_deadline]),
        key=lambda row: row["explanation"].unit.path,
    )  # fmt: skip
    return {
        "explanation_request": found,
        "status": status,
        "rows": rows,
        "today": today,
        "place": letter_place(found.office),
        "responsible": followup.responsible_steps(found, [row["explanation"].unit_id for row in rows], today),
    }


@require_GET
def explanation_request(request, pk):
    return render(request, "followup/request_detail.html", _status_context(request, pk))


@require_GET
def explanation_request_print(request, pk):
    return render(request, "followup/request_print.html", _status_context(request, pk))


# --- one unit's explanation -----------------------------------------------------------------------------
class AnswerForm(forms.Form):
    text = forms.CharField(label="Nội dung giải trình", max_length=20000, widget=forms.Textarea(attrs={"rows": 10}))
    attachment = forms.FileField(
        label="Tệp đính kèm",
        required=False,
        help_text="Văn bản giải trình đã ký (PDF, DOC, DOCX, JPG, PNG), tối đa 10 MB.",
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.doc,.docx,.jpg,.jpeg,.png"}),
    )

    def clean_attachment(self):
        upload = self.cleaned_data.get("attachment")
        if upload:
            # The service checks again when it saves; here the same message goes next to the field.
            try:
                followup.check_attachment(upload)
            except FollowupRefused as refused:
                raise forms.ValidationError(str(refused)) from None
        return upload


def _explanation_or_404(user, pk):
    found = Explanation.objects.select_related("request__office", "unit", "answered_by").filter(pk=pk).first()
    if found is None or not followup.can_view_explanation(user, found):
        raise Http404("Không tìm thấy giải trình")
    return found


def explanation(request, pk):
    """A unit's explanation: the request, the unit's figures, and the answer form until it is sent."""
    found = _explanation_or_404(request.user, pk)
    may_answer = followup.can_answer_explanation(request.user, found)
    if request.method == "POST" and not may_answer:
        raise Http404("Không gửi được giải trình này")
    if request.method == "POST" and found.answered:
        messages.error(request, f"{found.unit.name} đã gửi giải trình; giải trình chỉ gửi một lần.")
        return redirect("cases:explanation", pk=found.pk)
    form = AnswerForm(request.POST or None, request.FILES or None) if may_answer and not found.answered else None
    if form is not None and form.is_bound and form.is_valid():
        try:
            followup.answer_explanation(
                found, by=request.user, text=form.cleaned_data["text"], attachment=form.cleaned_data["attachment"]
            )
        except FollowupRefused as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(request, "Đã gửi giải trình.")
            return redirect("cases:explanation", pk=found.pk)
    context = {
        "explanation": found,
        "responsible": followup.responsible_steps(found.request, [found.unit_id]),
        "form": form,
        "links": _figures_links(found),
        "may_oversee": access.oversees(request.user, found.request.office),
        "attachment_name": os.path.basename(found.attachment.name) if found.attachment else "",
        "today": timezone.localdate(),
    }
    return render(request, "followup/explanation.html", context, status=400 if form and form.errors else 200)


def _figures_links(found):
    """The dossiers behind the unit's overdue figure for the request's period (the dashboard's list link)."""
    params = {
        "so_lieu": "resolved_late",
        "ky_tu": f"{found.request.period_start:%d/%m/%Y}",
        "ky_den": f"{found.request.period_end:%d/%m/%Y}",
        "unit": found.unit_id,
    }
    late = f"{reverse('cases:dossier_list')}?{urlencode(params)}"
    overdue = f"{reverse('cases:dossier_list')}?{urlencode({**params, 'so_lieu': 'in_progress_overdue'})}"
    return {"late": late, "overdue": overdue}


@require_GET
def explanation_attachment(request, pk):
    """The attachment, to those who may read the explanation only; never from a public URL."""
    found = _explanation_or_404(request.user, pk)
    if not found.attachment:
        raise Http404("Giải trình không có tệp đính kèm")
    try:
        handle = found.attachment.open("rb")
    except FileNotFoundError:
        raise Http404("Không tìm thấy tệp đính kèm") from None
    response = FileResponse(handle, as_attachment=True, filename=os.path.basename(found.attachment.name))
    response["X-Content-Type-Options"] = "nosniff"
    return response
