"""The administrator's pages under /quan-tri/: in Vietnamese, the catalogue editable, dossiers only to be read."""

from datetime import date

import pytest
import time_machine
from django.urls import reverse

from cases.catalogue.calendar import WorkCalendar, sync_calendar
from cases.models import CalendarSource, Dossier, DossierEvent, Holiday, WorkdayOverride
from tests.conftest import vn


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # The cast's six accounts take seconds to hash with the production hasher; these tests log in with force_login.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def admin_client(client, cast):
    client.force_login(cast["admin"])
    return client


@pytest.fixture
def dossier(units, procedures, cast):
    with time_machine.travel(vn(2024, 2, 7, 10, 0), tick=False):
        dossier = Dossier.receive(
            unit=units["pu_hong"], procedure=procedures["land"], applicant_name="Giàng A Páo",
            by=cast["desk_pu_hong"], received_at=vn(2024, 2, 7, 10, 0),
        )  # fmt: skip
    with time_machine.travel(vn(2024, 2, 20, 10, 0), tick=False):
        dossier.request_supplement(by=cast["desk_pu_hong"], missing_papers="Bản đồ thửa đất")
    return dossier


@pytest.mark.parametrize(
    "model", ["unit", "field", "procedure", "holiday", "workdayoverride", "membership", "dossier", "dossierevent"]
)
def test_the_changelists_open_for_the_administrator(admin_client, dossier, model):
    response = admin_client.get(reverse(f"admin:cases_{model}_changelist"))
    assert response.status_code == 200
    assert '<html lang="vi"' in response.content.decode()


def test_the_admin_home_is_in_vietnamese(admin_client):
    page = admin_client.get("/quan-tri/").content.decode()
    assert "Quản trị Cổng Một cửa" in page
    assert "Hồ sơ thủ tục hành chính" in page
    assert "Ngày nghỉ lễ" in page and "Ngày làm bù" in page


def test_units_are_shown_as_a_tree(admin_client, units):
    page = admin_client.get(reverse("admin:cases_unit_changelist")).content.decode()
    province, district, commune = (
        page.index("UBND tỉnh Điện Biên"),
        page.index("UBND huyện Điện Biên Đông"),
        page.index("UBND xã Pú Hồng"),
    )
    assert province < district < commune
    assert '<span class="tree-depth-2">UBND xã Pú Hồng</span>' in page  # a class, not an inline style (CSP)


def test_units_are_found_by_code_and_filtered_by_level(admin_client, units):
    page = admin_client.get(reverse("admin:cases_unit_changelist"), {"q": "DBD-PH"}).content.decode()
    assert "UBND xã Pú Hồng" in page and "UBND xã Keo Lôm" not in page
    response = admin_client.get(reverse("admin:cases_unit_changelist"), {"level__exact": "xa"})
    names = {unit.name for unit in response.context["cl"].result_list}
    assert names == {"UBND xã Pú Hồng", "UBND xã Keo Lôm", "UBND xã Phình Giàng"}


@pytest.mark.parametrize("term", ["dang ky ket hon", "Đăng ký kết hôn", "ĐĂNG KÝ KẾT HÔN", "ket hon", "1.000894"])
def test_a_procedure_is_found_with_or_without_diacritics(admin_client, procedures, term):
    response = admin_client.get(reverse("admin:cases_procedure_changelist"), {"q": term})
    assert [procedure.name for procedure in response.context["cl"].result_list] == ["Thủ tục đăng ký kết hôn"]


def test_procedures_are_filtered_by_field_and_online_level(admin_client, procedures):
    land = procedures["land"].field
    response = admin_client.get(reverse("admin:cases_procedure_changelist"), {"field__id__exact": land.pk})
    assert [p.code for p in response.context["cl"].result_list] == ["1.003003"]
    response = admin_client.get(reverse("admin:cases_procedure_changelist"), {"online_level__exact": "mot_phan"})
    assert {p.code for p in response.context["cl"].result_list} == {"1.000894", "1.004837"}


def test_a_dossier_cannot_be_deleted_added_or_changed_through_the_admin(admin_client, dossier):
    assert admin_client.get(reverse("admin:cases_dossier_delete", args=[dossier.pk])).status_code == 403
    assert (
        admin_client.post(reverse("admin:cases_dossier_delete", args=[dossier.pk]), {"post": "yes"}).status_code == 403
    )
    assert admin_client.get(reverse("admin:cases_dossier_add")).status_code == 403
    response = admin_client.post(
        reverse("admin:cases_dossier_change", args=[dossier.pk]), {"applicant_name": "Người khác"}
    )
    assert response.status_code == 403
    dossier.refresh_from_db()
    assert dossier.applicant_name == "Giàng A Páo"


def test_there_is_no_bulk_delete_of_dossiers_or_events(admin_client, dossier):
    for model in ("dossier", "dossierevent"):
        response = admin_client.get(reverse(f"admin:cases_{model}_changelist"))
        action_form = response.context["action_form"]
        assert action_form is None or "delete_selected" not in dict(action_form.fields["action"].choices)
    admin_client.post(
        reverse("admin:cases_dossier_changelist"), {"action": "delete_selected", "_selected_action": [dossier.pk]}
    )
    event = dossier.events.first()
    admin_client.post(
        reverse("admin:cases_dossierevent_changelist"), {"action": "delete_selected", "_selected_action": [event.pk]}
    )
    assert Dossier.objects.filter(pk=dossier.pk).exists()
    assert DossierEvent.objects.filter(dossier=dossier).count() == 2


def test_an_event_cannot_be_deleted_or_changed(admin_client, dossier):
    event = dossier.events.first()
    assert admin_client.get(reverse("admin:cases_dossierevent_delete", args=[event.pk])).status_code == 403
    assert admin_client.post(reverse("admin:cases_dossierevent_change", args=[event.pk]), {}).status_code == 403


def test_a_dossier_is_read_with_its_history(admin_client, dossier):
    page = admin_client.get(reverse("admin:cases_dossier_change", args=[dossier.pk])).content.decode()
    assert "DBD-PH-240207-0001" in page
    assert "Bản đồ thửa đất" in page  # the clock stop
    assert "20/02/2024 10:00" in page  # the event, in local time, dd/mm/yyyy HH:MM as on the dossier page
    # Each event as the sentence the dossier page shows, not JSON.
    assert "Tiếp nhận hồ sơ; hẹn trả kết quả 21/02/2024 10:00." in page
    assert "Yêu cầu người nộp bổ sung, hoàn thiện hồ sơ" in page
    assert 'name="_save"' not in page


def test_dossiers_are_found_by_code_or_applicant_and_filtered(admin_client, dossier):
    url = reverse("admin:cases_dossier_changelist")
    for term in ("DBD-PH-240207", "Giàng A Páo"):
        assert list(admin_client.get(url, {"q": term}).context["cl"].result_list) == [dossier]
    assert list(admin_client.get(url, {"q": "Người khác"}).context["cl"].result_list) == []
    assert list(
        admin_client.get(url, {"unit__level__exact": "xa", "state__exact": "bo_sung"}).context["cl"].result_list
    ) == [dossier]
    assert list(admin_client.get(url, {"unit__level__exact": "huyen"}).context["cl"].result_list) == []
    assert list(admin_client.get(url, {"channel__exact": "truc_tuyen"}).context["cl"].result_list) == []


def test_a_desk_officer_is_sent_away_from_the_admin(client, cast):
    client.force_login(cast["desk_pu_hong"])
    response = client.get("/quan-tri/")
    assert response.status_code == 302
    assert response["Location"].startswith("/quan-tri/login/")
    assert client.get(reverse("admin:cases_dossier_changelist")).status_code == 302


def test_memberships_are_edited_on_the_user_page(admin_client, cast):
    page = admin_client.get(reverse("admin:auth_user_change", args=[cast["desk_pu_hong"].pk])).content.decode()
    assert "vai trò tại đơn vị" in page.lower()
    assert "memberships-0-unit" in page
    listing = admin_client.get(reverse("admin:auth_user_changelist")).content.decode()
    assert "UBND xã Pú Hồng (Cán bộ Một cửa)" in listing


def test_a_holiday_added_in_the_admin_is_the_administrators_and_counts(admin_client, db):
    response = admin_client.post(
        reverse("admin:cases_holiday_add"),
        {"date": "05/03/2024", "name": "Nghỉ theo quyết định của tỉnh", "active": "on"},
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    holiday = Holiday.objects.get(date=date(2024, 3, 5))
    assert holiday.source == CalendarSource.ADMIN
    assert not WorkCalendar.load().is_working_day(date(2024, 3, 5))


def test_a_state_holiday_taken_out_in_the_admin_stays_out_after_a_sync(admin_client, db):
    holiday = Holiday.objects.get(date=date(2024, 4, 29))
    response = admin_client.post(
        reverse("admin:cases_holiday_changelist"), {"action": "deactivate", "_selected_action": [holiday.pk]}
    )
    assert response.status_code == 302
    assert sync_calendar(2024, 2024) == (0, 0)
    holiday.refresh_from_db()
    assert not holiday.active
    assert WorkCalendar.load().is_working_day(date(2024, 4, 29))


def test_make_up_days_taken_out_in_bulk_stay_out_after_a_sync(admin_client, db):
    ids = list(WorkdayOverride.objects.filter(date__year=2024).values_list("pk", flat=True))
    assert ids
    admin_client.post(
        reverse("admin:cases_workdayoverride_changelist"), {"action": "deactivate", "_selected_action": ids}
    )
    assert not WorkdayOverride.objects.filter(pk__in=ids, active=True).exists()
    assert WorkdayOverride.objects.filter(pk__in=ids).count() == len(ids)  # kept, with their history
    assert sync_calendar(2024, 2024) == (0, 0)
    assert not WorkCalendar.load().is_working_day(date(2024, 5, 4))
