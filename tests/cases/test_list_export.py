"""Downloading the dossier list exactly as filtered on screen, as CSV or XLSX, in the exchange format."""

import csv
import io
from functools import partial

import pytest
import time_machine
from django.urls import reverse
from openpyxl import load_workbook

from cases.exchange.columns import DOSSIER_KEYS
from cases.exchange.dossiers import DossierImporter
from tests.conftest import receive as received
from tests.conftest import vn

NOW = vn(2024, 3, 8, 10, 0)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def dossiers(units, procedures, cast):
    officer = cast["desk_pu_hong"]
    receive = partial(received, officer)
    land = receive(units["pu_hong"], procedures["land"], "Giàng A Páo", vn(2024, 3, 4, 8), applicant_phone="0912345678")
    married = receive(units["pu_hong"], procedures["marriage"], "Lò Thị Mai", vn(2024, 3, 5, 9), channel="truc_tuyen")
    married.resolve(by=officer, at=vn(2024, 3, 5, 15))
    waiting = receive(units["pu_hong"], procedures["guardian"], "Mùa A Chu, con", vn(2024, 3, 6, 9))
    waiting.request_supplement(by=officer, missing_papers="Giấy khai sinh", at=vn(2024, 3, 6, 10))
    guardian = receive(units["keo_lom"], procedures["guardian"], "Vàng A Dế", vn(2024, 3, 6, 9), channel="buu_chinh")
    return {"land": land, "married": married, "waiting": waiting, "guardian": guardian}


def download_csv(client, **params):
    response = client.get(reverse("cases:dossier_export", args=["csv"]), params)
    assert response.status_code == 200
    assert response.streaming
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig")))), response


def download_xlsx(client, **params):
    response = client.get(reverse("cases:dossier_export", args=["xlsx"]), params)
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True).worksheets[0]
    rows = [["" if value is None else str(value) for value in row] for row in sheet.iter_rows(values_only=True)]
    return rows, response


def listed_codes(client, **params):
    response = client.get(reverse("cases:dossier_list"), params)
    return {dossier.code for dossier in response.context["page"].object_list}


def test_the_csv_has_exactly_the_filtered_dossiers_in_the_exchange_columns(client, cast, units, dossiers):
    client.force_login(cast["office"])
    filters = {"unit": units["pu_hong"].pk, "open": "on"}
    rows, response = download_csv(client, **filters)
    assert rows[0] == list(DOSSIER_KEYS)
    assert {row[0] for row in rows[1:]} == listed_codes(client, **filters)
    assert {row[0] for row in rows[1:]} == {dossiers["land"].code, dossiers["waiting"].code}
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="ho-so-20240308.csv"' in response["Content-Disposition"]
    land = next(row for row in rows if row[0] == dossiers["land"].code)
    assert land[1:4] == ["1.003003", "DBD-PH", "04/03/2024 08:00"]
    assert land[8:10] == ["Giàng A Páo", "0912345678"]
    waiting = next(row for row in rows if row[0] == dossiers["waiting"].code)
    assert waiting[DOSSIER_KEYS.index("trang_thai")] == "bo_sung"


def test_the_xlsx_has_exactly_the_filtered_dossiers(client, cast, units, dossiers):
    client.force_login(cast["office"])
    rows, response = download_xlsx(client, channel="truc_tuyen")
    assert rows[0] == list(DOSSIER_KEYS)
    assert [row[0] for row in rows[1:]] == [dossiers["married"].code]
    assert rows[1][5] == "05/03/2024 15:00"
    assert 'filename="ho-so-20240308.xlsx"' in response["Content-Disposition"]
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")


def test_a_commune_officer_never_downloads_another_communes_rows(client, cast, units, dossiers):
    client.force_login(cast["desk_pu_hong"])
    rows, _ = download_csv(client)
    assert dossiers["guardian"].code not in {row[0] for row in rows}
    assert len(rows) == 1 + 3
    # Asking for Keo Lôm by its id: an empty file, the header only.
    rows, _ = download_csv(client, unit=units["keo_lom"].pk)
    assert rows == [list(DOSSIER_KEYS)]
    rows, _ = download_xlsx(client, unit=units["keo_lom"].pk)
    assert rows == [list(DOSSIER_KEYS)]


def test_the_outsider_downloads_nothing_of_the_district(client, cast, dossiers):
    client.force_login(cast["outsider"])
    rows, _ = download_csv(client)
    assert rows == [list(DOSSIER_KEYS)]


def test_an_anonymous_visitor_is_sent_to_the_login(client, dossiers):
    response = client.get(reverse("cases:dossier_export", args=["csv"]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_only_csv_and_xlsx_are_offered(client, cast):
    client.force_login(cast["office"])
    assert client.get(reverse("cases:dossier_export", args=["pdf"])).status_code == 404


def test_the_list_links_its_downloads_with_its_filters(client, cast, units, dossiers):
    client.force_login(cast["office"])
    response = client.get(reverse("cases:dossier_list"), {"channel": "truc_tuyen", "page": "1"})
    html = response.content.decode()
    assert f'href="{reverse("cases:dossier_export", args=["csv"])}?channel=truc_tuyen"' in html
    assert "Tải XLSX" in html


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_importing_the_download_again_changes_nothing(client, cast, dossiers, tmp_path, fmt):
    client.force_login(cast["office"])
    response = client.get(reverse("cases:dossier_export", args=[fmt]))
    path = tmp_path / f"ho-so.{fmt}"
    path.write_bytes(b"".join(response.streaming_content))
    importer = DossierImporter(str(path), user=cast["office"])
    result = importer.validate()
    assert result.errors == []
    importer.write()
    assert (result.rows_read, result.created, result.updated, result.unchanged) == (4, 0, 0, 4)
