"""Receipt regardless of the administrative boundary (Decree 118/2025/NĐ-CP): Pú Hồng's desk takes in a dossier that
Keo Lôm resolves. The desk numbers it and prints the receipt; Keo Lôm resolves it; every figure counts it at Keo
Lôm, and Pú Hồng's receipt for others is counted apart (DOMAIN.md, the 2025 regime)."""

import pytest
import time_machine
from django.http import Http404
from django.urls import reverse
from openpyxl import load_workbook

from cases.desk import access
from cases.desk.steps import ActionRefused
from cases.models import Dossier
from reports.documents import official
from reports.figures import periods
from reports.figures.counters import received_for_other_units
from reports.figures.tally import tally
from tests.conftest import PASSWORD, vn

RECEIVED = vn(2024, 3, 4, 9, 0)


@pytest.fixture
def across(units, procedures, cast):
    with time_machine.travel(RECEIVED, tick=False):
        return Dossier.receive(
            unit=units["pu_hong"], resolving_unit=units["keo_lom"], procedure=procedures["land"],
            applicant_name="Giàng A Páo", by=cast["desk_pu_hong"],
        )  # fmt: skip


def test_the_desk_numbers_it_and_holds_the_first_step_the_other_unit_resolves_it(across, units, cast):
    assert across.code.startswith("DBD-PH-240304-")
    assert (across.unit, across.receiving_unit, across.desk) == (units["keo_lom"], units["pu_hong"], units["pu_hong"])
    step = across.open_step()
    assert (step.unit, step.holder) == (units["pu_hong"], cast["desk_pu_hong"])
    # Both desks may act on it; nobody else sees it.
    for desk in ("desk_pu_hong", "desk_keo_lom"):
        assert access.get_dossier_or_404(cast[desk], across.code, for_change=True) == across
    with pytest.raises(Http404):
        access.get_dossier_or_404(cast["outsider"], across.code)


def test_the_figures_count_it_at_the_unit_that_resolves_it_and_the_receipt_apart(across, units, tmp_path):
    march = periods.month(2024, 3)
    result = tally(march, scope=units["district"])
    by_unit = {row.unit.code: row.counters for row in result.units}
    assert (by_unit["DBD-KL"].received_in_period, by_unit["DBD-PH"].received_in_period) == (1, 0)
    assert received_for_other_units(march, [row.unit.pk for row in result.units]) == {units["pu_hong"].pk: 1}
    path = tmp_path / "06a.xlsx"
    official.write(march, path, scope=units["district"])
    sheet = load_workbook(path)["Theo đơn vị"]
    texts = [cell.value for row in sheet.iter_rows() for cell in row if isinstance(cell.value, str)]
    assert "- UBND xã Pú Hồng: 01 hồ sơ" in texts
    assert any(text.startswith("Hồ sơ tiếp nhận không phụ thuộc địa giới hành chính") for text in texts)


def test_the_receipt_form_takes_the_resolving_unit_of_the_same_province_only(client, units, procedures, cast):
    client.login(username="motcua.puhong", password=PASSWORD)
    form = {"procedure": procedures["land"].pk, "applicant_name": "Lò Văn Páo", "channel": "truc_tiep"}
    foreign = client.post(reverse("cases:receive"), {**form, "resolving_unit": units["krong_no"].pk})
    assert foreign.status_code == 200 and "resolving_unit" in foreign.context["form"].errors
    assert not Dossier.objects.exists()
    response = client.post(reverse("cases:receive"), {**form, "resolving_unit": units["keo_lom"].pk}, follow=True)
    dossier = Dossier.objects.get()
    assert (dossier.unit, dossier.receiving_unit) == (units["keo_lom"], units["pu_hong"])
    page = response.content.decode()
    assert "Bộ phận Tiếp nhận và Trả kết quả UBND xã Pú Hồng tiếp nhận hồ sơ" in page
    assert "cơ quan giải quyết: <strong>UBND xã Keo Lôm</strong>" in page


# --- levels: a commune desk takes in commune procedures, others only where the province allows it ----------------
@pytest.fixture
def licence(procedures):
    from cases.models import Level, OnlineLevel, Procedure

    return Procedure.objects.create(
        code="1.002809", name="Cấp lại giấy phép lái xe", field=procedures["land"].field, processing_days=10,
        online_level=OnlineLevel.FULL, level=Level.PROVINCE,
    )  # fmt: skip


def test_a_commune_desk_does_not_take_in_a_provincial_procedure_by_default(licence, units, cast, settings):
    settings.RECEIPT_ACROSS_LEVELS = False
    with pytest.raises(ActionRefused, match="không thuộc UBND xã Pú Hồng: chọn đơn vị giải quyết cấp tỉnh"):
        Dossier.receive(unit=units["pu_hong"], procedure=licence, applicant_name="Lò A", by=cast["desk_pu_hong"])
    with pytest.raises(ActionRefused, match="chưa cho phép tiếp nhận hồ sơ khác cấp"):
        Dossier.receive(
            unit=units["pu_hong"], resolving_unit=units["province"], procedure=licence, applicant_name="Lò A",
            by=cast["desk_pu_hong"],
        )  # fmt: skip
    assert not Dossier.objects.exists()


def test_where_the_province_allows_it_the_commune_desk_takes_it_in_for_a_provincial_unit(
    licence, units, cast, settings
):
    settings.RECEIPT_ACROSS_LEVELS = True
    dossier = Dossier.receive(
        unit=units["pu_hong"], resolving_unit=units["province"], procedure=licence, applicant_name="Lò A",
        by=cast["desk_pu_hong"],
    )  # fmt: skip
    assert (dossier.unit, dossier.receiving_unit) == (units["province"], units["pu_hong"])
