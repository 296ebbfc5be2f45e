"""Desk forms: receiving a dossier and the steps that follow. They validate input; the Dossier methods decide."""

from django import forms
from django.contrib.auth import get_user_model

from cases.catalogue.models import Performer, Procedure
from cases.catalogue.processes import step_of
from cases.core import contact
from cases.core.formats import display_name
from cases.core.widgets import QuickSelect
from cases.desk import access, codes
from cases.desk.models import Dossier
from cases.desk.states import Channel, MessageChannel, RatingSource, Satisfaction
from cases.exchange import uploads

DATETIME_HINT = "dd/mm/yyyy hh:mm"


class ProcedureChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, procedure):
        return f"{procedure.code} — {procedure.name} ({procedure.processing_days} ngày)"


class ReceiveForm(forms.Form):
    """Tiếp nhận hồ sơ. The unit is a choice only for officers who staff several desks."""

    unit = forms.ModelChoiceField(label="Đơn vị tiếp nhận", queryset=None, empty_label=None)
    procedure = ProcedureChoiceField(
        label="Thủ tục hành chính",
        queryset=Procedure.objects.filter(active=True).order_by("code"),
        empty_label="— Chọn thủ tục —",
        widget=QuickSelect(attrs={"autofocus": True, "data-procedure-select": ""}),
    )
    # No max_length here: a browser's maxlength would cut a pasted name mid-word without a word; the rules of
    # cases.core.contact refuse what is too long and say so.
    applicant_name = forms.CharField(label="Họ và tên người nộp")
    applicant_phone = forms.CharField(
        label="Số điện thoại",
        required=False,
        help_text="10 hoặc 11 chữ số, bắt đầu bằng 0 hoặc +84.",
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    applicant_id_number = forms.CharField(
        label="Số CCCD / mã số thuế",
        required=False,
        help_text="CCCD 12 chữ số; tổ chức: mã số thuế 10 chữ số (hoặc 10-3).",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    applicant_address = forms.CharField(label="Địa chỉ", required=False)
    applicant_email = forms.EmailField(
        label="Thư điện tử", required=False, widget=forms.EmailInput(attrs={"autocomplete": "off"})
    )
    # The applicant's consent to messages about the dossier (cases.followup.messages): asked, never presumed.
    messages_consent = forms.BooleanField(label="Đồng ý nhận tin nhắn về hồ sơ", required=False)
    messages_channel = forms.ChoiceField(
        label="Nhận tin nhắn qua",
        choices=[("", "— Chọn —"), *MessageChannel.choices],
        required=False,
        help_text="Tin nhắn khi tiếp nhận, cần bổ sung, từ chối, có kết quả, hẹn lại; có đường dẫn tra cứu.",
    )
    channel = forms.ChoiceField(label="Hình thức nộp", choices=Channel.choices, initial=Channel.DIRECT)
    papers = forms.CharField(
        label="Thành phần hồ sơ đã nhận",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "Mỗi giấy tờ một dòng"}),
    )
    # The service index counts it (reports.figures.service_index): ticked when the papers were scanned into the system.
    papers_digitized = forms.BooleanField(label="Đã số hóa thành phần hồ sơ", required=False)
    resolving_unit = forms.ModelChoiceField(
        label="Đơn vị giải quyết",
        queryset=None,
        required=False,
        empty_label="— Đơn vị tiếp nhận —",
        help_text="Chọn khi tiếp nhận hồ sơ thuộc thẩm quyền đơn vị khác (không phụ thuộc địa giới hành chính).",
        widget=QuickSelect,
    )
    code = forms.CharField(
        label="Mã hồ sơ",
        required=False,
        help_text=(
            "Để trống: hệ thống tự cấp mã theo đơn vị và ngày. Mã nhập tay gồm chữ in hoa, chữ số, dấu - và dấu ."
            " (ví dụ mã của Cổng dịch vụ công: 000.00.19.H56-240301-0001)."
        ),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        units = list(access.receiving_units(user).order_by("path"))
        self.fields["unit"].queryset = access.receiving_units(user)
        self.fixed_unit = units[0] if len(units) == 1 else None
        resolving = self.fields["resolving_unit"]
        resolving.queryset = access.resolving_units(user).order_by("path")
        resolving.label_from_instance = lambda unit: f"{'— ' * unit.depth}{unit.name}"
        if self.fixed_unit:
            # One desk: the unit is shown as text, not asked for.
            del self.fields["unit"]

    def clean_applicant_name(self):
        return _contact(contact.name, self.cleaned_data["applicant_name"])

    def clean_applicant_phone(self):
        return _contact(contact.phone, self.cleaned_data["applicant_phone"])

    def clean_applicant_id_number(self):
        return _contact(contact.identity, self.cleaned_data["applicant_id_number"])

    def clean_applicant_address(self):
        return _contact(contact.address, self.cleaned_data["applicant_address"])

    def clean(self):
        data = super().clean()
        self._clean_messages(data)
        code = codes.normalise(data.get("code"))
        data["code"] = code
        unit = self.fixed_unit or data.get("unit")
        if code and unit is not None:
            refusal = codes.refusal(code, unit)
            if refusal:
                self.add_error("code", f"Mã hồ sơ {refusal}.")
            elif Dossier.objects.filter(code=code).exists():
                self.add_error("code", f"Mã hồ sơ {code} đã có.")
        return data

    def _clean_messages(self, data):
        """Consent needs a channel, and the channel its address: SMS and Zalo a phone, e-mail an address."""
        if not data.get("messages_consent"):
            data["messages_channel"] = ""
            return
        channel = data.get("messages_channel")
        if not channel:
            self.add_error("messages_channel", "Chọn cách nhận tin nhắn, hoặc bỏ chọn «Đồng ý nhận tin nhắn».")
        elif channel == MessageChannel.EMAIL and not data.get("applicant_email") and "applicant_email" in data:
            self.add_error("applicant_email", "Cần địa chỉ thư điện tử để gửi tin nhắn qua thư điện tử.")
        elif channel != MessageChannel.EMAIL and not data.get("applicant_phone") and "applicant_phone" in data:
            self.add_error("applicant_phone", f"Cần số điện thoại để gửi tin nhắn qua {MessageChannel(channel).label}.")

    def clean_papers(self):
        # One paper per line, without blank lines: the receipt prints them as a list.
        lines = (line.strip() for line in self.cleaned_data["papers"].splitlines())
        return "\n".join(line for line in lines if line)

    @property
    def receiving_unit(self):
        return self.fixed_unit or self.cleaned_data["unit"]

    def details(self):
        data = self.cleaned_data
        return {
            "applicant_phone": data["applicant_phone"],
            "applicant_id_number": data["applicant_id_number"],
            "applicant_address": data["applicant_address"],
            "applicant_email": data["applicant_email"],
            "messages_consent": data["messages_consent"],
            "messages_channel": data["messages_channel"],
            "channel": data["channel"],
            "papers": data["papers"],
            "papers_digitized": data["papers_digitized"],
            "resolving_unit": data.get("resolving_unit"),
        }


def _contact(check, value):
    try:
        return check(value)
    except contact.Invalid as invalid:
        raise forms.ValidationError(f"{str(invalid)[0].upper()}{str(invalid)[1:]}.") from None


# --- steps on a dossier -----------------------------------------------------------------------------
class StepForm(forms.Form):
    """A step with an optional moment (blank = now): a desk may record a step a little after it happened."""

    at = forms.DateTimeField(
        label="Thời điểm",
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "để trống = bây giờ", "inputmode": "numeric"}),
        help_text=DATETIME_HINT,
    )

    def __init__(self, *args, dossier=None, **kwargs):
        self.dossier = dossier
        super().__init__(*args, **kwargs)

    def arguments(self):
        return {"at": self.cleaned_data.get("at")}


class ResolveForm(StepForm):
    """Có kết quả; the result's digitisation counts in the service index."""

    result_digitized = forms.BooleanField(label="Đã số hóa kết quả", required=False)

    def arguments(self):
        return {**super().arguments(), "result_digitized": self.cleaned_data["result_digitized"]}


class RateForm(StepForm):
    """A rating the applicant gave on a paper form or at the kiosk, recorded by the desk (Dossier.rate)."""

    field_order = ["level", "source", "comment", "at"]
    level = forms.ChoiceField(label="Mức độ hài lòng", choices=Satisfaction.choices, widget=forms.RadioSelect)
    source = forms.ChoiceField(
        label="Nguồn",
        choices=[(RatingSource.PAPER, RatingSource.PAPER.label), (RatingSource.KIOSK, RatingSource.KIOSK.label)],
        initial=RatingSource.PAPER,
    )
    comment = forms.CharField(label="Ý kiến", required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)

    def arguments(self):
        return {**super().arguments(), **{k: self.cleaned_data[k] for k in ("level", "source", "comment")}}


class SupplementForm(StepForm):
    field_order = ["missing_papers", "reason", "at"]
    missing_papers = forms.CharField(
        label="Giấy tờ cần bổ sung, hoàn thiện", widget=forms.Textarea(attrs={"rows": 3}), max_length=4000
    )
    reason = forms.CharField(label="Lý do", required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=4000)

    def arguments(self):
        return {**super().arguments(), **{k: self.cleaned_data[k] for k in ("missing_papers", "reason")}}


class ReasonForm(StepForm):
    field_order = ["reason", "at"]
    reason = forms.CharField(label="Lý do", widget=forms.Textarea(attrs={"rows": 2}), max_length=4000)

    def arguments(self):
        return {**super().arguments(), "reason": self.cleaned_data["reason"]}


class CorrectDateForm(forms.Form):
    field = forms.ChoiceField(label="Ngày cần sửa", choices=list(Dossier.CORRECTABLE.items()))
    value = forms.DateTimeField(
        label="Giá trị đúng",
        required=False,
        widget=forms.TextInput(attrs={"placeholder": DATETIME_HINT, "inputmode": "numeric"}),
    )
    reason = forms.CharField(label="Lý do sửa", widget=forms.Textarea(attrs={"rows": 2}), max_length=4000)

    def __init__(self, *args, dossier=None, **kwargs):
        self.dossier = dossier
        super().__init__(*args, **kwargs)
        self.fields["field"].choices = [(k, label.capitalize()) for k, label in Dossier.CORRECTABLE.items()]

    def arguments(self):
        data = self.cleaned_data
        return {"field": data["field"], "value": data["value"], "reason": data["reason"]}


class AssignForm(forms.Form):
    handler = forms.ModelChoiceField(label="Người xử lý", queryset=None, empty_label="— Chọn cán bộ —")

    def __init__(self, *args, dossier, **kwargs):
        self.dossier = dossier
        super().__init__(*args, **kwargs)
        self.fields["handler"].queryset = handlers_for(dossier.unit)
        self.fields["handler"].label_from_instance = display_name

    def arguments(self):
        return {"handler": self.cleaned_data["handler"]}


def handlers_for(unit):
    """Who may be named the handler of a dossier outside the process: the officials working at its unit."""
    return (
        get_user_model()
        .objects.filter(
            is_active=True, memberships__unit=unit, memberships__role__in=access.UNIT_WORKERS, memberships__active=True
        )
        .distinct()
        .order_by("first_name", "username")
    )


# --- the internal process: take up, hand on, send back (cases.desk.process) ------------------------------------
# No moment to fill in: a step's clock runs from when its performer acts, never from a time they type.
STALE = "Hồ sơ đã chuyển bước khác từ lúc bạn mở trang: hãy xem lại quy trình xử lý bên dưới."


class MoveForm(forms.Form):
    """A move on the dossier's open step (None: a dossier that has not entered the process yet)."""

    def __init__(self, *args, dossier, step, plan, units, **kwargs):
        self.dossier, self.step, self.plan, self.units = dossier, step, plan, units
        super().__init__(*args, **kwargs)

    @property
    def available(self):
        """Whether the process leaves this move open at the dossier's step."""
        return True

    def arguments(self):
        return {}


class TakeUpForm(MoveForm):
    pass


class HandOverForm(MoveForm):
    # The next step only: skipping one would skip its performer (the leader's signature, another unit's opinion).
    number = forms.TypedChoiceField(coerce=int, widget=forms.HiddenInput, error_messages={"invalid_choice": STALE})
    to_user = forms.ModelChoiceField(
        label="Giao cho công chức", queryset=None, required=False,
        error_messages={"invalid_choice": "Người được chọn không thực hiện bước tiếp theo này."},
    )  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.next_step = step_of(self.plan, (self.step.number if self.step else 1) + 1)
        if self.next_step is None:
            return
        self.next_unit_id = self.next_step.unit_id_for(self.dossier.unit_id)
        self.fields["number"].choices = [(self.next_step.number, self.next_step.number)]
        self.fields["number"].initial = self.next_step.number
        people = self.fields["to_user"]
        people.queryset = access.step_candidates(self.next_unit_id, self.next_step.performer)
        people.label_from_instance = display_name
        people.empty_label = "— Không chọn: ai của bộ phận nhận trước thì xử lý —"
        people.help_text = "Chọn tên khi giao cho một người cụ thể; chỉ người đó nhận được hồ sơ."

    @property
    def available(self):
        return self.next_step is not None

    @property
    def next_performer(self):
        """Who the next step goes to: "Bộ phận chuyên môn, UBND xã Pú Hồng", or another unit by its name."""
        unit = self.units.get(self.next_unit_id)
        name = unit.name if unit else ""
        if self.next_step.performer == Performer.OTHER_UNIT:
            return name
        label = Performer(self.next_step.performer).label
        return f"{label}, {name}" if name else label

    def arguments(self):
        return {"number": self.cleaned_data["number"], "to_user": self.cleaned_data["to_user"]}


class SendBackForm(MoveForm):
    number = forms.TypedChoiceField(label="Trả về bước", coerce=int, error_messages={"invalid_choice": STALE})
    reason = forms.CharField(
        label="Lý do trả lại", widget=forms.Textarea(attrs={"rows": 2}), max_length=4000,
        error_messages={"required": "Cần ghi lý do trả lại."},
    )  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        earlier = [planned for planned in self.plan if self.step and planned.number < self.step.number]
        self.fields["number"].choices = [(step.number, f"Bước {step.number}: {step.name}") for step in earlier]
        if earlier:
            self.fields["number"].initial = earlier[-1].number

    @property
    def available(self):
        return bool(self.fields["number"].choices)

    def arguments(self):
        return {"number": self.cleaned_data["number"], "reason": self.cleaned_data["reason"]}


# --- dossier files uploaded in the browser ---------------------------------------------------------------------
class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label="Tệp hồ sơ (CSV hoặc XLSX)",
        help_text="Dòng 1 là tiêu đề cột theo định dạng trao đổi (ma_ho_so, ma_thu_tuc, ma_don_vi …); tối đa 50 MB.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv", "data-max-bytes": "52428800"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        name = upload.name.lower()
        if not name.endswith(uploads.ALLOWED_SUFFIXES):
            if name.endswith(".xls"):
                raise forms.ValidationError("Tệp .xls (Excel 97-2003) không đọc được: hãy lưu lại dạng .xlsx hoặc CSV.")
            raise forms.ValidationError("Chỉ nhận tệp CSV hoặc XLSX.")
        if upload.size > uploads.MAX_UPLOAD_BYTES:
            raise forms.ValidationError(f"Tệp nặng {upload.size // (1024 * 1024)} MB, tối đa 50 MB.")
        if upload.size == 0:
            raise forms.ValidationError("Tệp trống.")
        head = upload.read(8192)
        upload.seek(0)
        # The content must be what the name says: an XLSX is a zip; a CSV is text.
        if name.endswith(".xlsx") and not head.startswith(b"PK\x03\x04"):
            raise forms.ValidationError("Tệp không phải XLSX thật (có thể là tệp khác bị đổi đuôi).")
        if name.endswith(".csv") and b"\x00" in head:
            raise forms.ValidationError("Tệp không phải CSV dạng văn bản (có thể là tệp khác bị đổi đuôi).")
        return upload


class ImportConfirmForm(forms.Form):
    skip_invalid = forms.BooleanField(
        label="Bỏ qua dòng lỗi",
        required=False,
        help_text="Nhập các dòng hợp lệ; các dòng bị từ chối được ghi vào tệp «loi» để tải về, sửa và nhập lại.",
    )
