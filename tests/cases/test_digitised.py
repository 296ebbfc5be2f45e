"""The desk marks the papers and the result as digitised; the service index counts what it marked."""

import time_machine
from django.urls import reverse

from cases.models import Dossier
from reports.figures import periods
from reports.figures.service_index import service_index
from tests.conftest import vn

RECEIPT = {"applicant_name": "Giàng A Páo", "channel": "truc_tiep", "papers": "Đơn đề nghị", "code": ""}


def test_the_desk_ticks_digitised_papers_at_receipt_and_result_at_resolve(client, units, procedures, cast):
    client.force_login(cast["desk_pu_hong"])
    assert "Đã số hóa thành phần hồ sơ" in client.get("/tiep-nhan/").content.decode()
    with time_machine.travel(vn(2024, 3, 4, 9), tick=False):
        client.post("/tiep-nhan/", {**RECEIPT, "procedure": procedures["land"].pk, "papers_digitized": "on"})
        client.post("/tiep-nhan/", {**RECEIPT, "procedure": procedures["land"].pk})
    scanned, unscanned = Dossier.objects.order_by("code")
    assert (scanned.papers_digitized, unscanned.papers_digitized) == (True, False)
    with time_machine.travel(vn(2024, 3, 5, 10), tick=False):
        page = client.get(f"/ho-so/{scanned.code}/").content.decode()
        assert "Đã số hóa kết quả" in page and "Thành phần hồ sơ: đã số hóa; kết quả: chưa số hóa" in page
        for dossier, ticked in ((scanned, {"co-ket-qua-result_digitized": "on"}), (unscanned, {})):
            client.post(reverse("cases:dossier_action", args=[dossier.code, "co-ket-qua"]), ticked)
        scanned.refresh_from_db()
        unscanned.refresh_from_db()
        assert (scanned.result_digitized, unscanned.result_digitized) == (True, False)
        assert scanned.resolved_at == vn(2024, 3, 5, 10)
        row = next(r for r in service_index(periods.month(2024, 3), scope=units["pu_hong"]).units)
    # 22 × (½ × 1/2 results + ½ × 1/2 papers) = 11.
    assert row.group("digitisation").points == 11.00
    assert row.group("digitisation").needs == ["số hóa thêm 1 kết quả", "số hóa thêm 1 hồ sơ (thành phần hồ sơ)"]
