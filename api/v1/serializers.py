"""What the dossier endpoints read and write, as JSON with English keys (the exchange JSON's style).

The requests are not spelt out here: each is derived from the desk's own form (`form_serializer`), so the schema
names the fields the desk asks for, with the same required ones and lengths, and cannot drift from them. The rules
themselves stay in the forms and in the dossier's steps; a serializer only checks that the JSON has the right types.
"""

from django import forms
from rest_framework import serializers

from cases.core.formats import display_name
from cases.desk import outcome
from cases.desk.models import Dossier, DossierEvent, DossierStep

# How the API names what a form picks from a list (a ModelChoiceField): units and procedures by code, officials by
# their login. The forms are given the same keys (api.v1.dossiers.by_key).
CHOICE_KEYS = {"unit": "code", "resolving_unit": "code", "procedure": "code", "to_user": "username"}
CHOICE_HELP = {"code": "mã", "username": "tên đăng nhập"}


def _drf_field(name, field):
    """The JSON field a form field reads: same type, same requirement, same length limit, same label."""
    label = str(field.label or name)
    common = {"required": field.required, "help_text": f"{label}. {field.help_text}".strip(" .") + "."}
    if isinstance(field, forms.ModelChoiceField):
        key = CHOICE_KEYS[name]
        common["help_text"] = f"{label} ({CHOICE_HELP[key]})."
        return serializers.CharField(allow_blank=not field.required, **common)
    if isinstance(field, forms.TypedChoiceField) and field.coerce is int:
        return serializers.IntegerField(min_value=1, max_value=32767, **common)
    if isinstance(field, forms.ChoiceField):
        choices = [(value, text) for value, text in field.choices if value != ""]
        if not choices:  # filled per dossier (the step numbers of its process)
            return serializers.CharField(**common)
        return serializers.ChoiceField(choices=choices, allow_blank=not field.required, **common)
    if isinstance(field, forms.BooleanField):
        return serializers.BooleanField(default=False, **{**common, "required": False})
    if isinstance(field, forms.DateTimeField):
        common["help_text"] = f"{label} (ISO 8601, ví dụ 2026-03-02T08:30:00+07:00); bỏ trống: bây giờ."
        return serializers.DateTimeField(allow_null=True, **common)
    if isinstance(field, forms.EmailField):
        return serializers.EmailField(allow_blank=not field.required, **common)
    if isinstance(field, forms.CharField):
        return serializers.CharField(allow_blank=not field.required, max_length=field.max_length, **common)
    raise TypeError(f"{name}: no JSON field for {type(field).__name__}")


def form_serializer(form_class, name, extra=None, skip=()):
    """A serializer with the fields of `form_class` (its class-level fields) and any `extra` ones."""
    fields = {
        field_name: _drf_field(field_name, field)
        for field_name, field in form_class.base_fields.items()
        if field_name not in skip
    }
    return type(name, (serializers.Serializer,), {**fields, **(extra or {})})


# --- answers ----------------------------------------------------------------------------------------------------
class DossierSerializer(serializers.ModelSerializer):
    """A dossier as the list shows it, with the applicant's details (a client reads only its own units' dossiers)."""

    procedure = serializers.SlugRelatedField(slug_field="code", read_only=True)
    procedure_name = serializers.CharField(source="procedure.name", read_only=True)
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True, help_text="Đơn vị giải quyết (mã).")
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    receiving_unit = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True, help_text="Nơi tiếp nhận hộ (mã), khi khác đơn vị."
    )
    state_label = serializers.CharField(source="get_state_display", read_only=True)
    applicant_email = serializers.CharField(read_only=True, help_text="Thư điện tử ('' khi không có).")
    handler = serializers.SerializerMethodField(help_text="Người xử lý (họ tên).")
    outcome = serializers.SerializerMethodField(
        help_text="truoc_han, dung_han, qua_han, trong_han, dang_qua_han hoặc ket_thuc (cases.desk.outcome)."
    )
    overdue = serializers.SerializerMethodField(help_text="Đang giải quyết và đã quá thời điểm hẹn trả.")

    class Meta:
        model = Dossier
        fields = [
            "code", "procedure", "procedure_name", "unit", "unit_name", "receiving_unit", "state", "state_label",
            "channel", "applicant_name", "applicant_phone", "applicant_id_number", "applicant_address",
            "applicant_email", "processing_days", "received_at", "due_at", "resolved_at", "returned_at", "ended_at",
            "clock_stopped_at", "outcome", "overdue", "handler", "papers_digitized", "result_digitized",
        ]  # fmt: skip
        read_only_fields = fields

    def get_handler(self, dossier) -> str | None:
        return display_name(dossier.handler) or None

    def get_outcome(self, dossier) -> str:
        # The list annotates it in SQL (outcome.with_outcome); one dossier is classified in Python, by the same rule.
        return getattr(dossier, "outcome", None) or outcome.outcome_of(dossier)

    def get_overdue(self, dossier) -> bool:
        return self.get_outcome(dossier) == outcome.OPEN_OVERDUE


class EventSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    by = serializers.SerializerMethodField(help_text="Người (hoặc ứng dụng) thực hiện.")
    before = serializers.DictField(read_only=True)
    after = serializers.DictField(read_only=True)

    class Meta:
        model = DossierEvent
        fields = ["kind", "kind_label", "at", "recorded_at", "by", "reason", "warning", "before", "after"]
        read_only_fields = fields

    def get_by(self, event) -> str | None:
        return display_name(event.by) or None


class StepSerializer(serializers.ModelSerializer):
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    holder = serializers.SerializerMethodField(help_text="Người giữ bước (họ tên).")

    class Meta:
        model = DossierStep
        fields = [
            "number", "name", "performer", "unit", "holder", "handed_at", "taken_at", "due_at", "finished_at", "end",
            "reason",
        ]  # fmt: skip
        read_only_fields = fields

    def get_holder(self, step) -> str | None:
        return step.holder_label or None


class DossierDetailSerializer(DossierSerializer):
    """One dossier with its papers, its history (events) and the steps of its internal process."""

    papers = serializers.SerializerMethodField(help_text="Thành phần hồ sơ đã nhận, mỗi giấy tờ một dòng.")
    events = EventSerializer(many=True, read_only=True)
    steps = StepSerializer(many=True, read_only=True)

    class Meta(DossierSerializer.Meta):
        fields = [
            *DossierSerializer.Meta.fields, "messages_consent", "messages_channel", "papers", "events", "steps"
        ]  # fmt: skip
        read_only_fields = fields

    def get_papers(self, dossier) -> list[str]:
        return [line for line in dossier.papers.splitlines() if line.strip()]


class ErrorDetailSerializer(serializers.Serializer):
    field = serializers.CharField(allow_null=True)
    code = serializers.CharField()
    message = serializers.CharField()


class ErrorBodySerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Mã lỗi cho chương trình: khong_hop_le, khong_tim_thay, khong_du_quyen…")
    message = serializers.CharField(help_text="Thông báo tiếng Việt.")
    field = serializers.CharField(allow_null=True, help_text="Trường gây lỗi đầu tiên (nếu có).")
    fields = ErrorDetailSerializer(many=True)


class ApiErrorSerializer(serializers.Serializer):
    """Every error of the API (api.errors)."""

    error = ErrorBodySerializer()
