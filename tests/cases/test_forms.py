"""The desk forms: what they accept, what they refuse, and which choices they offer."""

import pytest

from cases.forms import AssignForm, CorrectDateForm, ReasonForm, ReceiveForm, StepForm, SupplementForm
from cases.models import Dossier, Membership, Role
from tests.conftest import vn


@pytest.fixture
def dossier(units, procedures, cast):
    return Dossier.receive(
        unit=units["pu_hong"],
        procedure=procedures["land"],
        applicant_name="Giàng A Páo",
        received_at=vn(2024, 3, 4, 8, 0),
        by=cast["desk_pu_hong"],
    )


def receive_data(procedures, **extra):
    return {"procedure": procedures["marriage"].pk, "applicant_name": "Lò Văn C", "channel": "truc_tiep", **extra}


def test_an_officer_of_one_desk_does_not_choose_the_unit(units, procedures, cast):
    form = ReceiveForm(receive_data(procedures), user=cast["desk_pu_hong"])
    assert "unit" not in form.fields
    assert form.is_valid(), form.errors
    assert form.receiving_unit == units["pu_hong"]


def test_an_officer_of_two_desks_chooses_among_them_only(units, procedures, cast):
    officer = cast["desk_pu_hong"]
    Membership.objects.create(user=officer, unit=units["phinh_giang"], role=Role.DESK)
    form = ReceiveForm(receive_data(procedures, unit=units["keo_lom"].pk), user=officer)
    assert set(form.fields["unit"].queryset) == {units["pu_hong"], units["phinh_giang"]}
    assert not form.is_valid()
    assert "unit" in form.errors
    form = ReceiveForm(receive_data(procedures, unit=units["phinh_giang"].pk), user=officer)
    assert form.is_valid(), form.errors
    assert form.receiving_unit == units["phinh_giang"]


def test_the_channel_defaults_to_at_the_desk(cast):
    assert ReceiveForm(user=cast["desk_pu_hong"])["channel"].value() == "truc_tiep"


def test_papers_are_kept_one_per_line_without_blank_lines(procedures, cast):
    form = ReceiveForm(receive_data(procedures, papers="  Tờ khai  \r\n\r\n Giấy CCCD\n"), user=cast["desk_pu_hong"])
    assert form.is_valid(), form.errors
    assert form.details()["papers"] == "Tờ khai\nGiấy CCCD"


def test_a_dossier_code_already_used_is_refused(dossier, procedures, cast):
    form = ReceiveForm(receive_data(procedures, code=dossier.code), user=cast["desk_pu_hong"])
    assert not form.is_valid()
    assert form.errors["code"] == [f"Mã hồ sơ {dossier.code} đã có."]


def test_an_inactive_procedure_cannot_be_chosen(procedures, cast):
    procedures["marriage"].active = False
    procedures["marriage"].save()
    form = ReceiveForm(receive_data(procedures), user=cast["desk_pu_hong"])
    assert not form.is_valid()
    assert "procedure" in form.errors


def test_moments_are_typed_the_vietnamese_way(dossier):
    form = StepForm({"at": "07/03/2024 16:30"}, dossier=dossier)
    assert form.is_valid(), form.errors
    assert form.arguments() == {"at": vn(2024, 3, 7, 16, 30)}
    assert StepForm({"at": ""}, dossier=dossier).is_valid()
    assert not StepForm({"at": "31/02/2024 10:00"}, dossier=dossier).is_valid()


def test_a_supplement_request_needs_the_missing_papers(dossier):
    assert not SupplementForm({"missing_papers": ""}, dossier=dossier).is_valid()
    form = SupplementForm({"missing_papers": "Sổ hộ khẩu", "reason": ""}, dossier=dossier)
    assert form.is_valid()
    assert form.arguments() == {"at": None, "missing_papers": "Sổ hộ khẩu", "reason": ""}


def test_refusal_and_pause_need_a_reason(dossier):
    assert not ReasonForm({"reason": ""}, dossier=dossier).is_valid()
    assert ReasonForm({"reason": "Không đủ điều kiện"}, dossier=dossier).is_valid()


def test_a_date_correction_offers_only_the_correctable_dates_and_needs_a_reason(dossier):
    form = CorrectDateForm(dossier=dossier)
    assert [value for value, _ in form.fields["field"].choices] == [
        "received_at",
        "due_at",
        "resolved_at",
        "returned_at",
    ]
    assert not CorrectDateForm({"field": "state", "value": "", "reason": "x"}, dossier=dossier).is_valid()
    assert not CorrectDateForm(
        {"field": "due_at", "value": "12/03/2024 17:00", "reason": ""}, dossier=dossier
    ).is_valid()
    form = CorrectDateForm({"field": "due_at", "value": "12/03/2024 17:00", "reason": "Nhập nhầm"}, dossier=dossier)
    assert form.is_valid()
    assert form.arguments() == {"field": "due_at", "value": vn(2024, 3, 12, 17, 0), "reason": "Nhập nhầm"}


def test_a_handler_is_chosen_among_the_desk_officers_of_the_dossiers_unit(dossier, units, cast, django_user_model):
    colleague = django_user_model.objects.create_user("motcua.puhong2")
    Membership.objects.create(user=colleague, unit=units["pu_hong"], role=Role.DESK)
    retired = django_user_model.objects.create_user("motcua.puhong3", is_active=False)
    Membership.objects.create(user=retired, unit=units["pu_hong"], role=Role.DESK)
    moved = django_user_model.objects.create_user("motcua.puhong4")  # the role at this desk was taken away
    Membership.objects.create(user=moved, unit=units["pu_hong"], role=Role.DESK, active=False)
    form = AssignForm(dossier=dossier)
    assert set(form.fields["handler"].queryset) == {cast["desk_pu_hong"], colleague}
    assert not AssignForm({"handler": cast["desk_keo_lom"].pk}, dossier=dossier).is_valid()
    assert not AssignForm({"handler": cast["office"].pk}, dossier=dossier).is_valid()


def test_the_receipt_forms_procedure_list_is_what_djangos_select_would_write(procedures):
    from django import forms as django_forms

    from cases.core.widgets import QuickSelect
    from cases.forms import ReceiveForm

    field = ReceiveForm.base_fields["procedure"]
    chosen = procedures["land"].pk

    def html(widget):
        widget.choices = field.choices
        return widget.render("procedure", chosen, attrs={"id": "id_procedure", "required": True, "x": False})

    quick = html(QuickSelect(attrs={"data-procedure-select": ""}))
    assert quick == html(django_forms.Select(attrs={"data-procedure-select": ""}))
    assert quick.count("<option") == len(procedures) + 1
    assert f'<option value="{chosen}" selected>{field.label_from_instance(procedures["land"])}</option>' in quick


def test_a_quick_select_writes_groups_and_escapes_as_django_does():
    from django import forms as django_forms

    from cases.core.widgets import QuickSelect

    choices = [("", "Tất cả"), ("Nhóm <1>", [(2, "A & B"), ('x"y', "C")]), (4, "D")]
    for value in ("", "2", 'x"y', ["4"]):
        quick = QuickSelect(choices=choices).render("f", value, {"id": "id_f", "class": "c"})
        assert quick == django_forms.Select(choices=choices).render("f", value, {"id": "id_f", "class": "c"})
    assert '<optgroup label="Nhóm &lt;1&gt;">' in quick and "A &amp; B" in quick


def test_an_officer_whose_commune_was_merged_receives_at_the_new_one_without_choosing(units, procedures, cast):
    from datetime import date

    from cases.models import Level, Unit, UnitKind

    old = units["pu_hong"]
    new = Unit.objects.create(
        code="DB-PUHONG", name="UBND xã Pú Hồng", level=Level.COMMUNE, kind=UnitKind.COMMUNE,
        parent=units["district"].parent, valid_from=date(2025, 7, 1),
    )  # fmt: skip
    Unit.objects.filter(pk=old.pk).update(valid_to=date(2025, 6, 30), merged_into=new)
    officer = cast["desk_pu_hong"]
    Membership.objects.create(user=officer, unit=new, role=Role.DESK)
    form = ReceiveForm(user=officer)
    # The old commune still shows its dossiers, but no longer receives: the form does not ask which desk.
    assert form.fixed_unit == new and "unit" not in form.fields
