"""Catalogue and accounts in the admin: every change kept with who, when, before and after; nothing deleted, only
deactivated; a change to a procedure's days or to the calendar names the open dossiers it touches."""

import re
from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from cases.desk import access
from cases.models import Field, Holiday, Membership, Procedure, Role, State, Unit, WorkdayOverride
from tests.accounts.conftest import read_form
from tests.conftest import PASSWORD, make, vn

pytestmark = pytest.mark.django_db


def edit(admin_client, model, obj, **changes):
    """Open the admin's change page of `obj`, change some fields as an administrator would, save."""
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[obj.pk])
    data = read_form(admin_client.get(url).content.decode())
    data.update(changes)
    data.pop("active", None) if changes.get("active") is False else None
    data = {name: value for name, value in data.items() if value is not False}
    response = admin_client.post(url, {**data, "_save": "Lưu lại"})
    assert response.status_code == 302, response.context["adminform"].form.errors
    return admin_client.get(response["Location"])


def shown_messages(page):
    return [str(message) for message in page.context["messages"]]


def history_page(admin_client, model, obj):
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_history", args=[obj.pk])
    return admin_client.get(url).content.decode()


# --- before / after, who, when -----------------------------------------------------------------------------------
def test_a_procedures_processing_days_changed_in_the_admin_are_kept_with_who_when_before_and_after(
    admin_client, cast, procedures
):
    land = procedures["land"]
    edit(admin_client, Procedure, land, processing_days="7")

    latest = land.history.first()
    assert latest.history_type == "~"
    assert latest.history_user == cast["admin"]
    assert timezone.now() - latest.history_date < timedelta(minutes=1)
    changes = latest.diff_against(latest.prev_record).changes
    assert [(c.field, c.old, c.new) for c in changes] == [("processing_days", 5, 7)]

    page = history_page(admin_client, Procedure, land)
    assert "Thời hạn giải quyết (ngày làm việc):</strong>" in page
    assert re.search(r"</strong>\s*5\s*&nbsp;&rarr;&nbsp;&nbsp;7\s*</li>", page)
    assert "quantri" in page and "Lịch sử thay đổi" in page


def test_a_unit_renamed_and_a_role_changed_on_the_user_page_are_kept(admin_client, cast, units):
    edit(admin_client, Unit, units["pu_hong"], name="UBND xã Pú Hồng (mới)")
    unit_change = units["pu_hong"].history.first()
    assert unit_change.history_user == cast["admin"]
    assert [(c.field, c.old, c.new) for c in unit_change.diff_against(unit_change.prev_record).changes] == [
        ("name", "UBND xã Pú Hồng", "UBND xã Pú Hồng (mới)")
    ]

    officer = cast["desk_pu_hong"]
    membership = officer.memberships.get()
    edit(admin_client, type(officer), officer, **{"memberships-0-role": Role.OFFICE, "is_staff": "on"})
    role_change = membership.history.first()
    assert role_change.history_user == cast["admin"]
    assert [(c.field, c.old, c.new) for c in role_change.diff_against(role_change.prev_record).changes] == [
        ("role", Role.DESK, Role.OFFICE)
    ]
    account_change = officer.history.first()
    assert ("is_staff", False, True) in [
        (c.field, c.old, c.new) for c in account_change.diff_against(account_change.prev_record).changes
    ]
    assert "Vai trò:</strong>" in history_page(admin_client, Membership, membership)


def test_a_holiday_moved_in_the_admin_is_kept(admin_client, cast, db):
    holiday = Holiday.objects.create(date=date(2024, 11, 20), name="Nghỉ theo quyết định của tỉnh")
    edit(admin_client, Holiday, holiday, date="21/11/2024")
    change = holiday.history.first()
    assert change.history_user == cast["admin"]
    assert [(c.field, c.old, c.new) for c in change.diff_against(change.prev_record).changes] == [
        ("date", date(2024, 11, 20), date(2024, 11, 21))
    ]


def test_a_login_is_not_a_change_to_the_account(client, cast):
    officer = cast["desk_pu_hong"]
    rows = officer.history.count()
    assert client.post("/dang-nhap/", {"username": officer.username, "password": PASSWORD}).status_code == 302
    officer.refresh_from_db()
    assert officer.last_login is not None
    assert officer.history.count() == rows


def test_an_import_that_changes_a_procedure_is_kept_in_its_history(tmp_path, procedures):
    path = tmp_path / "thu_tuc.csv"
    path.write_text(
        "ma_thu_tuc,ten_thu_tuc,linh_vuc,thoi_han_ngay,muc_do\n"
        "1.003003,Thủ tục hòa giải tranh chấp đất đai,Đất đai,10,khong\n"
        "2.000001,Thủ tục mới,Lĩnh vực mới,3,toan_trinh\n",
        encoding="utf-8",
    )
    call_command("import_procedures", str(path), stdout=StringIO(), stderr=StringIO())
    change = procedures["land"].history.first()
    assert change.history_change_reason == "Nhập danh mục từ tệp"
    assert [(c.field, c.old, c.new) for c in change.diff_against(change.prev_record).changes] == [
        ("processing_days", 5, 10)
    ]
    assert Procedure.objects.get(code="2.000001").history.get().history_type == "+"
    assert Field.objects.get(name="Lĩnh vực mới").history.get().history_type == "+"


# --- never deleted ---------------------------------------------------------------------------------------------
@pytest.fixture
def records(cast, units, procedures):
    return {
        "unit": units["pu_hong"],
        "field": procedures["land"].field,
        "procedure": procedures["land"],
        "holiday": Holiday.objects.get(date=date(2024, 4, 29)),
        "workdayoverride": WorkdayOverride.objects.get(date=date(2024, 5, 4)),
        "membership": cast["desk_pu_hong"].memberships.get(),
        "user": cast["desk_pu_hong"],
    }


@pytest.mark.parametrize("name", ["unit", "field", "procedure", "holiday", "workdayoverride", "membership", "user"])
def test_catalogue_and_account_records_cannot_be_deleted_in_the_admin(admin_client, records, name):
    record = records[name]
    label = f"{record._meta.app_label}_{record._meta.model_name}"
    assert admin_client.get(reverse(f"admin:{label}_delete", args=[record.pk])).status_code == 403
    assert admin_client.post(reverse(f"admin:{label}_delete", args=[record.pk]), {"post": "yes"}).status_code == 403
    changelist = reverse(f"admin:{label}_changelist")
    actions = dict(admin_client.get(changelist).context["action_form"].fields["action"].choices)
    assert "delete_selected" not in actions
    admin_client.post(changelist, {"action": "delete_selected", "_selected_action": [record.pk], "post": "yes"})
    assert type(record).objects.filter(pk=record.pk).exists()


def test_a_role_ends_by_unticking_it_and_the_officer_loses_the_desk(admin_client, cast):
    officer = cast["desk_pu_hong"]
    page = admin_client.get(reverse("admin:auth_user_change", args=[officer.pk])).content.decode()
    assert "memberships-0-DELETE" not in page  # no delete box on the user's roles
    edit(admin_client, type(officer), officer, **{"memberships-0-active": False})
    membership = officer.memberships.get()
    assert not membership.active
    officer.refresh_from_db()
    assert access.memberships(officer) == []
    desk = type(admin_client)()
    desk.force_login(officer)
    assert desk.get(reverse("cases:receive")).status_code == 403


def test_deactivating_in_the_admin_keeps_the_rows(admin_client, cast, units, procedures):
    field = procedures["land"].field
    admin_client.post(reverse("admin:cases_field_changelist"), {"action": "deactivate", "_selected_action": [field.pk]})
    field.refresh_from_db()
    assert not field.active and field.history.first().history_user == cast["admin"]

    officer = cast["desk_keo_lom"]
    admin_client.post(reverse("admin:auth_user_changelist"), {"action": "deactivate", "_selected_action": [officer.pk]})
    officer.refresh_from_db()
    assert not officer.is_active
    response = type(admin_client)().post("/dang-nhap/", {"username": officer.username, "password": PASSWORD})
    assert response.status_code == 200  # refused

    unit = units["phinh_giang"]
    admin_client.post(reverse("admin:cases_unit_changelist"), {"action": "close_today", "_selected_action": [unit.pk]})
    unit.refresh_from_db()
    assert unit.valid_to == timezone.localdate()
    assert unit.history.first().history_user == cast["admin"]


# --- what a change touches ---------------------------------------------------------------------------------------
def test_changing_a_procedures_days_names_its_open_dossiers_and_keeps_their_due_times(admin_client, units, procedures):
    land, guardian = procedures["land"], procedures["guardian"]
    unit = units["pu_hong"]
    first = make("PH-1", unit, land, vn(2024, 3, 4, 9), vn(2024, 3, 11, 9))
    second = make("PH-2", unit, land, vn(2024, 3, 5, 9), vn(2024, 3, 12, 9), state=State.SUPPLEMENT)
    make("PH-3", unit, land, vn(2024, 3, 1, 9), vn(2024, 3, 8, 9), resolved=vn(2024, 3, 6, 9))
    make("PH-4", unit, guardian, vn(2024, 3, 4, 9), vn(2024, 3, 7, 9))

    page = edit(admin_client, Procedure, land, processing_days="7")
    link = f"/ho-so/?procedure={land.pk}&amp;open=on"
    [note] = [m for m in shown_messages(page) if "hồ sơ" in m]
    assert note.startswith("Thời hạn giải quyết của thủ tục 1.003003 đổi từ 5 thành 7 ngày làm việc: 2 hồ sơ")
    assert "giữ nguyên ngày hẹn trả" in note and f'href="{link}"' in note

    listed = admin_client.get(link.replace("&amp;", "&")).context["page"].object_list
    assert sorted(d.code for d in listed) == ["PH-1", "PH-2"]
    first.refresh_from_db(), second.refresh_from_db()
    assert (first.due_at, second.due_at) == (vn(2024, 3, 11, 9), vn(2024, 3, 12, 9))  # not rewritten


def test_a_holiday_added_in_the_admin_names_the_open_dossiers_counted_across_it(admin_client, units, procedures):
    land = procedures["land"]
    unit = units["pu_hong"]
    across = make("PH-1", unit, land, vn(2024, 3, 4, 9), vn(2024, 3, 11, 9))
    make("PH-2", unit, land, vn(2024, 3, 7, 9), vn(2024, 3, 14, 9))  # received after the day
    make("PH-3", unit, land, vn(2024, 2, 26, 9), vn(2024, 3, 4, 9))  # due before the day
    make("PH-4", unit, land, vn(2024, 3, 4, 9), vn(2024, 3, 11, 9), resolved=vn(2024, 3, 5, 9))  # closed

    response = admin_client.post(
        reverse("admin:cases_holiday_add"), {"date": "06/03/2024", "name": "Nghỉ đột xuất", "active": "on"}
    )
    page = admin_client.get(response["Location"])
    link = "/ho-so/?open=on&amp;received_before=06%2F03%2F2024&amp;due_after=06%2F03%2F2024"
    [note] = [m for m in shown_messages(page) if "hồ sơ" in m]
    assert note.startswith("Lịch ngày 06/03/2024 đã đổi (ngày nghỉ lễ: Nghỉ đột xuất): 1 hồ sơ đang giải quyết")
    assert f'href="{link}"' in note

    listed = admin_client.get(link.replace("&amp;", "&")).context["page"].object_list
    assert [d.code for d in listed] == ["PH-1"]
    across.refresh_from_db()
    assert across.due_at == vn(2024, 3, 11, 9)


def test_taking_a_make_up_day_out_names_the_open_dossiers_too(admin_client, units, procedures):
    make("PH-1", units["pu_hong"], procedures["land"], vn(2024, 5, 2, 9), vn(2024, 5, 10, 9))
    saturday = WorkdayOverride.objects.get(date=date(2024, 5, 4))
    response = admin_client.post(
        reverse("admin:cases_workdayoverride_changelist"), {"action": "deactivate", "_selected_action": [saturday.pk]}
    )
    notes = shown_messages(admin_client.get(response["Location"]))
    assert "Đã bỏ 1 ngày làm bù khỏi lịch." in notes
    assert any(n.startswith("Lịch ngày 04/05/2024 đã đổi (bỏ ngày làm bù): 1 hồ sơ") for n in notes)


def test_renaming_a_holiday_touches_no_due_time(admin_client, units, procedures):
    make("PH-1", units["pu_hong"], procedures["land"], vn(2024, 4, 25, 9), vn(2024, 5, 6, 9))
    holiday = Holiday.objects.get(date=date(2024, 4, 30))
    page = edit(admin_client, Holiday, holiday, name="Ngày Giải phóng miền Nam")
    assert not [m for m in shown_messages(page) if "hồ sơ" in m]
