"""Explanations name the steps and officials behind the dossiers they list: on the request (and its print) and on
the unit's answer page."""

from datetime import date

from django.urls import reverse

from cases.followup.explanations import request_explanations
from reports.figures import periods
from tests.conftest import PASSWORD
from tests.steps.conftest import seen, table_rows


def ask(units, cast):
    return request_explanations(
        office_unit=units["district"], period=periods.month(2024, 3), deadline=date(2024, 4, 20), by=cast["office"]
    )


def test_the_unit_sees_which_steps_and_officials_made_its_dossiers_late(client, stepped, units, cast, now):
    request = ask(units, cast)
    # March at Pú Hồng: B and G open and overdue at the end, E1 and E2 (imported, open) overdue too; Keo Lôm's F.
    explanation = request.explanations.get(unit=units["pu_hong"])
    assert (explanation.late_count, explanation.overdue_count) == (0, 4)
    client.login(username=cast["desk_pu_hong"].username, password=PASSWORD)
    response = client.get(reverse("cases:explanation", args=[explanation.pk]))
    assert "Bước xử lý, cán bộ làm chậm hồ sơ" in seen(response)
    assert table_rows(response, "responsible-table") == [
        # B held since 13/03 (161 h) and G handed on 1 h late: the specialist's step in two dossiers.
        ["Thẩm định, giải quyết hồ sơ", "Bộ phận chuyên môn", "Quàng Văn Chuyên", "2", "162,0"],
        ["Thẩm định, giải quyết hồ sơ", "Bộ phận chuyên môn", "Nguyễn Văn Nhập", "1", "1,5"],
        ["Tiếp nhận, chuyển hồ sơ", "Bộ phận Một cửa", "Lò Văn A", "1", "1,5"],
    ]
    assert response.context["form"] is not None  # the answer form is on the same page


def test_the_office_sees_them_per_unit_on_the_request_and_its_print(client, stepped, units, cast, now):
    request = ask(units, cast)
    client.login(username=cast["office"].username, password=PASSWORD)
    for name in ("cases:explanation_request", "cases:explanation_request_print"):
        rows = table_rows(client.get(reverse(name, args=[request.pk])), "responsible-table")
        # Keo Lôm's F waits at its specialists untaken: overdue as a dossier, but no step overran its own time.
        assert [row[:4] for row in rows] == [
            ["UBND xã Pú Hồng", "Thẩm định, giải quyết hồ sơ", "Bộ phận chuyên môn", "Quàng Văn Chuyên"],
            ["UBND xã Pú Hồng", "Thẩm định, giải quyết hồ sơ", "Bộ phận chuyên môn", "Nguyễn Văn Nhập"],
            ["UBND xã Pú Hồng", "Tiếp nhận, chuyển hồ sơ", "Bộ phận Một cửa", "Lò Văn A"],
        ]
