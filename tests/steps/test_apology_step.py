"""The apology (Mẫu 04) records which step caused the delay: one of the dossier's steps that overran."""

import pytest
import time_machine
from django.urls import reverse

from cases.desk.steps import ActionRefused
from cases.models import Apology, Dossier, DossierEvent
from tests.conftest import PASSWORD, vn
from tests.steps.conftest import seen


def test_the_step_late_most_is_recorded_by_default(stepped, cast, now):
    b = Dossier.objects.get(pk=stepped["B"].pk)
    apology = b.issue_apology(by=cast["desk_pu_hong"], reason="Chờ xác minh thực địa", new_due_at=vn(2024, 4, 15, 17))
    # The specialist's step, 161 working hours past its due time, over the desk's 1,5.
    assert (apology.step.number, apology.step.holder.username) == (2, "chuyenvien.puhong")
    event = DossierEvent.objects.filter(dossier=b, kind="apology").get()
    assert event.after["step"] == 2


def test_another_late_step_may_be_chosen_but_not_one_in_time(stepped, cast, now):
    b = Dossier.objects.get(pk=stepped["B"].pk)
    desk_step = b.steps.get(number=1, end="chuyen", reason="", taken_at=vn(2024, 3, 6, 10, 30))
    in_time = b.steps.get(number=1, taken_at=vn(2024, 3, 4, 9))
    with pytest.raises(ActionRefused, match="không phải bước xử lý trễ hạn"):
        b.issue_apology(by=cast["desk_pu_hong"], reason="Lý do", new_due_at=vn(2024, 4, 15, 17), step=in_time)
    assert not Apology.objects.filter(dossier=b).exists()
    apology = b.issue_apology(by=cast["desk_pu_hong"], reason="Lý do", new_due_at=vn(2024, 4, 15, 17), step=desk_step)
    assert apology.step == desk_step


def test_an_apology_before_any_step_overran_names_none(units, procedures, cast, officials):
    with time_machine.travel(vn(2024, 3, 4, 9), tick=False):
        dossier = Dossier.receive(
            unit=units["pu_hong"], procedure=procedures["land"], applicant_name="Lò Văn Tám", by=cast["desk_pu_hong"]
        )
        apology = dossier.issue_apology(by=cast["desk_pu_hong"], reason="Dự kiến chậm", new_due_at=vn(2024, 3, 20, 9))
    assert apology.step is None


def test_the_desk_picks_the_step_on_the_dossier_page(client, stepped, cast, now):
    b = stepped["B"]
    client.login(username=cast["desk_pu_hong"].username, password=PASSWORD)
    page = client.get(reverse("cases:dossier_detail", args=[b.code]))
    words = seen(page)
    assert "Bước gây chậm Bước 2: Thẩm định, giải quyết hồ sơ — Quàng Văn Chuyên, trễ 161,0 giờ" in words
    desk_step = b.steps.get(taken_at=vn(2024, 3, 6, 10, 30))
    response = client.post(
        reverse("cases:apology_issue", args=[b.code]),
        {"reason": "Chờ bản đồ", "new_due_at": "15/04/2024 17:00", "step": desk_step.pk},
    )
    assert response.status_code == 302
    assert Apology.objects.get(dossier=b).step == desk_step
    shown = seen(client.get(reverse("cases:dossier_detail", args=[b.code])))
    assert "Bước gây chậm Bước 1: Tiếp nhận, chuyển hồ sơ — UBND xã Pú Hồng, Lò Văn A" in shown
    assert "Bước gây chậm: bước 1." in shown
