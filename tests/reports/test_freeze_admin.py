"""Frozen figures in the administrator's pages: listed read-only, re-frozen only with a reason, history kept."""

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.urls import reverse

from reports.figures.freeze import freeze
from reports.figures.tally import tally
from reports.models import Freeze, FrozenFigures
from tests.conftest import make, vn


@pytest.fixture(autouse=True)
def _april_2024():
    with time_machine.travel(vn(2024, 4, 10, 9), tick=False):
        yield


@pytest.fixture
def frozen_march(march, cast):
    return freeze(march, by=cast["admin"])


@pytest.fixture
def admin_client(client, cast):
    client.force_login(cast["admin"])
    return client


def refreeze_url(found):
    return reverse("admin:reports_freeze_refreeze", args=[found.pk])


def test_the_freezes_are_listed_with_period_time_author_and_totals(admin_client, frozen_march):
    response = admin_client.get(reverse("admin:reports_freeze_changelist"))

    page = response.content.decode()
    assert response.status_code == 200
    assert "01/03/2024–31/03/2024" in page
    assert "09:00 10/04/2024" in page
    assert "quantri" in page
    # Pú Hồng 3 resolved (1 late) + Keo Lôm 1; 3 overdue at the end of March.
    assert "4 đã giải quyết (1 quá hạn), 3 đang quá hạn" in page
    assert "delete_selected" not in page
    assert "/quan-tri/reports/freeze/add/" not in page


def test_a_freeze_shows_its_figures_per_unit_and_offers_a_refreeze(admin_client, frozen_march, march):
    response = admin_client.get(reverse("admin:reports_freeze_change", args=[frozen_march.pk]))

    page = response.content.decode()
    assert response.status_code == 200
    assert refreeze_url(frozen_march) in page
    assert "đã giải quyết: 4" in page and "đang quá hạn: 3" in page
    assert "<tr><td>UBND xã Pú Hồng (DBD-PH)</td>" in page
    assert 'name="_save"' not in page  # read-only


def test_a_refreeze_without_a_reason_is_refused(admin_client, frozen_march):
    response = admin_client.post(refreeze_url(frozen_march), {"reason": "   "})

    assert response.status_code == 400
    assert "Cần ghi lý do chốt lại số liệu." in response.content.decode()
    assert list(Freeze.objects.values_list("pk", "current")) == [(frozen_march.pk, True)]


def test_a_refreeze_with_a_reason_makes_a_new_current_freeze_and_keeps_the_old(
    admin_client, frozen_march, march, units, procedures, cast
):
    old_figures = list(FrozenFigures.objects.filter(freeze=frozen_march).values_list("pk", "resolved_late"))
    # A late dossier entered after the freeze: only a re-freeze brings it into March's report.
    make("LATE-ENTRY", units["keo_lom"], procedures["land"], vn(2024, 3, 4, 8), vn(2024, 3, 11, 8), vn(2024, 3, 14, 8))
    assert tally(march, scope=units["district"]).totals.resolved_late == 1

    response = admin_client.post(
        refreeze_url(frozen_march), {"reason": "Nhập bổ sung hồ sơ LATE-ENTRY theo văn bản 45/UBND"}, follow=True
    )

    new = Freeze.objects.get(current=True)
    assert new.pk != frozen_march.pk
    assert (new.reason, new.frozen_by, new.start, new.end) == (
        "Nhập bổ sung hồ sơ LATE-ENTRY theo văn bản 45/UBND",
        cast["admin"],
        march.start,
        march.end,
    )
    frozen_march.refresh_from_db()
    assert frozen_march.current is False
    assert list(FrozenFigures.objects.filter(freeze=frozen_march).values_list("pk", "resolved_late")) == old_figures
    assert tally(march, scope=units["district"]).totals.resolved_late == 2
    assert response.redirect_chain[-1][0] == reverse("admin:reports_freeze_change", args=[new.pk])
    assert "Đã chốt lại số liệu tháng 03/2024" in response.content.decode()
    # The old freeze and its figures are still there to read.
    old_page = admin_client.get(reverse("admin:reports_freeze_change", args=[frozen_march.pk])).content.decode()
    assert "quá hạn: 1" in old_page
    listing = admin_client.get(reverse("admin:reports_freeze_changelist")).content.decode()
    assert "Nhập bổ sung hồ sơ LATE-ENTRY" in listing and "icon-no" in listing


def test_freezes_and_their_figures_cannot_be_deleted_or_edited(admin_client, frozen_march):
    figures = FrozenFigures.objects.filter(freeze=frozen_march).first()

    assert admin_client.post(reverse("admin:reports_freeze_delete", args=[frozen_march.pk])).status_code == 403
    assert admin_client.post(reverse("admin:reports_frozenfigures_delete", args=[figures.pk])).status_code == 403
    admin_client.post(reverse("admin:reports_freeze_change", args=[frozen_march.pk]), {"reason": "sửa tay"})
    assert Freeze.objects.get().reason == ""
    assert FrozenFigures.objects.filter(freeze=frozen_march).count() > 0
    rows = admin_client.get(reverse("admin:reports_frozenfigures_changelist"), {"freeze__id__exact": frozen_march.pk})
    assert rows.status_code == 200 and "UBND xã Pú Hồng" in rows.content.decode()


def test_staff_who_are_not_administrators_see_the_freezes_but_cannot_refreeze(client, django_user_model, frozen_march):
    clerk = django_user_model.objects.create_user(username="thongke", is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="view_freeze"))
    client.force_login(clerk)

    assert client.get(reverse("admin:reports_freeze_change", args=[frozen_march.pk])).status_code == 200
    assert (
        refreeze_url(frozen_march)
        not in client.get(reverse("admin:reports_freeze_change", args=[frozen_march.pk])).content.decode()
    )
    assert client.post(refreeze_url(frozen_march), {"reason": "thử"}).status_code == 403
    assert Freeze.objects.count() == 1
