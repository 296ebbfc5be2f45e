"""Tra cứu hồ sơ: the public look-up page, for applicants at home, on a phone or at a kiosk. No login, no
JavaScript needed; the code and the phone's last four digits (or the receipt's key) show the dossier's progress
and nothing personal (cases.desk.lookup). Attempts are throttled per address and per code (429). The same proof
stops the messages to the applicant (the link each message carries: /tra-cuu/<code>/ngung-nhan-tin/)."""

from django import forms
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from cases.desk import lookup
from cases.desk.models import Rating
from cases.desk.states import ALLOWED, RatingSource, Satisfaction
from cases.desk.steps import ActionRefused
from cases.followup import messages
from portal.security import client_ip

NOT_FOUND, TOO_MANY = lookup.NOT_FOUND, lookup.TOO_MANY


class LookupForm(forms.Form):
    code = forms.CharField(label="Mã hồ sơ", max_length=60, widget=forms.TextInput(attrs={"autocomplete": "off"}))
    answer = forms.CharField(
        label="4 số cuối điện thoại hoặc mã tra cứu",
        max_length=12,
        help_text=(
            "Số điện thoại đã ghi khi nộp hồ sơ; nếu không ghi số điện thoại, nhập mã tra cứu in trên giấy tiếp nhận."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text"}),
    )


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def lookup_page(request, code=""):
    form = LookupForm(request.POST or None, initial={"code": code})
    context = {"form": form, "code": code}
    if request.method != "POST":
        return render(request, "lookup/lookup.html", context)
    if refused := _address_refused(request, "lookup/lookup.html", context):
        return refused
    if not form.is_valid():
        return render(request, "lookup/lookup.html", context, status=400)
    typed_code = form.cleaned_data["code"].strip().upper()
    dossier, refused = _find(request, typed_code, form.cleaned_data["answer"], "lookup/lookup.html", context)
    if refused:
        return refused
    if dossier is None:
        # A fresh form: the answer typed is not echoed back (a kiosk's next user would see it).
        context.update(form=LookupForm(initial={"code": typed_code}), not_found=NOT_FOUND)
        return render(request, "lookup/lookup.html", context, status=404)
    return _dossier_page(request, dossier, form.cleaned_data["answer"])


def _address_refused(request, template, context):
    """The 429 page once this address tried too often; else None, the attempt counted."""
    wait = lookup.address_wait(client_ip(request))
    return _too_many(request, context, wait, template) if wait else None


def _find(request, code, answer, template, context):
    """(dossier or None, None), a wrong answer counted against the code; (None, the 429 page) once it had too many."""
    dossier, wait = lookup.attempt(code, answer)
    return dossier, (_too_many(request, context, wait, template) if wait else None)


class RatingForm(forms.Form):
    code = forms.CharField(max_length=60, widget=forms.HiddenInput)
    answer = forms.CharField(max_length=12, widget=forms.HiddenInput)
    level = forms.ChoiceField(label="Mức độ hài lòng", choices=Satisfaction.choices, widget=forms.RadioSelect)
    comment = forms.CharField(
        label="Ý kiến (không bắt buộc)", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


@login_not_required
@never_cache
@require_POST
def lookup_rate(request):
    """The applicant rates the service once the result was returned; the code and answer prove it is theirs."""
    form = RatingForm(request.POST)
    if refused := _address_refused(request, "lookup/lookup.html", {"form": LookupForm(), "code": ""}):
        return refused
    dossier = lookup.find(request.POST.get("code", ""), request.POST.get("answer", "")) if form.is_valid() else None
    if dossier is None:
        context = {"form": LookupForm(), "code": "", "not_found": NOT_FOUND}
        return render(request, "lookup/lookup.html", context, status=404)
    try:
        dossier.rate(level=form.cleaned_data["level"], comment=form.cleaned_data["comment"], source=RatingSource.LOOKUP)
    except ActionRefused as refused:
        return _dossier_page(request, dossier, form.cleaned_data["answer"], refused=refused.messages[0])
    return _dossier_page(request, dossier, form.cleaned_data["answer"], thanked=True)


class StopForm(forms.Form):
    answer = forms.CharField(
        label="4 số cuối điện thoại hoặc mã tra cứu",
        max_length=12,
        help_text="Số điện thoại đã ghi khi nộp hồ sơ, hoặc mã tra cứu in trên giấy tiếp nhận.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text"}),
    )


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def lookup_stop(request, code):
    """Ngừng nhận tin nhắn: the link in every message. GET only asks (a link previewer must not stop anything); the
    phone's last four digits or the receipt's key prove the dossier is the visitor's, throttled as the look-up."""
    code = code.strip().upper()
    form = StopForm(request.POST or None)
    context = {"form": form, "code": code}
    if request.method != "POST":
        return render(request, "lookup/stop.html", context)
    if refused := _address_refused(request, "lookup/stop.html", context):
        return refused
    if not form.is_valid():
        return render(request, "lookup/stop.html", context, status=400)
    dossier, refused = _find(request, code, form.cleaned_data["answer"], "lookup/stop.html", context)
    if refused:
        return refused
    if dossier is None:
        context.update(form=StopForm(), not_found=NOT_FOUND)
        return render(request, "lookup/stop.html", context, status=404)
    stopped = messages.stop(dossier)
    dossier.refresh_from_db(fields=["messages_stopped_at"])
    return render(request, "lookup/stop.html", {"code": code, "dossier": dossier, "already": not stopped})


def _dossier_page(request, dossier, answer, refused="", thanked=False):
    rating = Rating.objects.filter(dossier=dossier).first()
    may_rate = rating is None and dossier.state in ALLOWED["rate"]
    context = {
        "dossier": dossier,
        "status": lookup.status_of(dossier),
        "step": dossier.open_step(),
        "rating": rating,
        "rating_form": RatingForm(initial={"code": dossier.code, "answer": answer}) if may_rate else None,
        "refused": refused,
        "thanked": thanked,
    }
    return render(request, "lookup/dossier.html", context)


def _too_many(request, context, window, template="lookup/lookup.html"):
    context["not_found"] = TOO_MANY.format(minutes=window // 60)
    response = render(request, template, context, status=429)
    response["Retry-After"] = str(window)
    return response
