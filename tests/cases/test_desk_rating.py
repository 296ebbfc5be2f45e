"""The desk records a rating the applicant gave on paper or at the kiosk; once only; the index counts it."""

import time_machine
from django.urls import reverse

from cases.models import Rating, State
from reports.figures import periods
from reports.figures.service_index import service_index
from tests.conftest import make, vn


def _returned(units, procedures):
    return make(
        "PH-TRA", units["pu_hong"], procedures["land"], vn(2024, 3, 1, 8), vn(2024, 3, 8, 8),
        resolved=vn(2024, 3, 6, 9), state=State.RETURNED, returned_at=vn(2024, 3, 6, 10),
    )  # fmt: skip


def test_the_desk_records_a_paper_rating_once(client, units, procedures, cast):
    dossier = _returned(units, procedures)
    client.force_login(cast["desk_pu_hong"])
    url = reverse("cases:dossier_action", args=[dossier.code, "danh-gia"])
    with time_machine.travel(vn(2024, 3, 7, 9), tick=False):
        page = client.get(f"/ho-so/{dossier.code}/")
        assert "danh-gia" in [item["slug"] for item in page.context["actions"]]
        client.post(url, {"danh-gia-level": "khong_hai_long", "danh-gia-source": "phieu", "danh-gia-comment": "Chậm"})
        rating = Rating.objects.get()
        assert (rating.level, rating.source, rating.comment) == ("khong_hai_long", "phieu", "Chậm")
        assert rating.recorded_by == cast["desk_pu_hong"] and rating.rated_at == vn(2024, 3, 7, 9)
        page = client.get(f"/ho-so/{dossier.code}/")
        assert "danh-gia" not in [item["slug"] for item in page.context["actions"]]
        # A second post (an old tab) is refused with the reason; the first rating stays.
        client.post(url, {"danh-gia-level": "hai_long", "danh-gia-source": "kiosk"})
        messages = [str(m) for m in client.get(f"/ho-so/{dossier.code}/").context["messages"]]
        assert any("chỉ đánh giá một lần" in m for m in messages)
        assert Rating.objects.get().level == "khong_hai_long"
        row = service_index(periods.month(2024, 3), scope=units["pu_hong"]).units[0]
    assert row.group("satisfaction").points == 0.00
    assert row.group("satisfaction").needs == ["1 đánh giá không hài lòng"]


def test_only_a_returned_dossier_can_be_rated_and_the_source_is_paper_or_kiosk(client, units, procedures, cast):
    dossier = _returned(units, procedures)
    open_one = make("PH-MO", units["pu_hong"], procedures["land"], vn(2024, 3, 1, 8), vn(2024, 3, 8, 8))
    client.force_login(cast["desk_pu_hong"])
    with time_machine.travel(vn(2024, 3, 7, 9), tick=False):
        assert "danh-gia" not in [i["slug"] for i in client.get(f"/ho-so/{open_one.code}/").context["actions"]]
        response = client.post(
            reverse("cases:dossier_action", args=[dossier.code, "danh-gia"]),
            {"danh-gia-level": "hai_long", "danh-gia-source": "tra_cuu"},
        )
    assert response.status_code == 400 and not Rating.objects.exists()
