"""Figures through the API: the same numbers as `tally --format json` and `service_index --format json` (and the
dashboard, which calls the same functions) for the same unit and period; a unit outside the key's scope is a 404."""

import json

import pytest
import time_machine
from django.core.management import call_command

from tests.conftest import vn
from tests.reports.conftest import scored  # noqa: F401 - the fixture: March 2024 with ratings, digitised

PERIOD = {"from": "2024-03-01", "to": "2024-03-31"}


@pytest.fixture(autouse=True)
def _april_2024():
    with time_machine.travel(vn(2024, 4, 10, 9), tick=False):
        yield


def command_json(capsys, name, unit):
    call_command(name, "--from", "01/03/2024", "--to", "31/03/2024", "--unit", unit, "--format", "json")
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize(("caller", "unit"), [("province", "DBD"), ("province", "DBD-PH"), ("keo_lom", "DBD-KL")])
def test_the_tally_is_the_commands_json(api, scored, capsys, caller, unit):  # noqa: F811
    answer = api[caller].http.get("/api/v1/figures/tally/", {**PERIOD, "unit": unit})
    assert answer.status_code == 200
    assert answer.json() == command_json(capsys, "tally", unit)


def test_the_tally_counts_the_month(api, scored):  # noqa: F811
    document = api["province"].http.get("/api/v1/figures/tally/", {**PERIOD, "unit": "DBD-PH"}).json()
    assert document["scope"] == {"code": "DBD-PH", "name": "UBND xã Pú Hồng"}
    assert document["totals"]["received_total"] == 11 and document["totals"]["on_time_rate"] == 66.67
    assert "đã tiếp nhận 11 hồ sơ" in document["text"]


@pytest.mark.parametrize("unit", ["DBD", "DBD-PH", "DBD-KL"])
def test_the_service_index_is_the_commands_json(api, scored, capsys, unit):  # noqa: F811
    answer = api["province"].http.get("/api/v1/figures/service-index/", {**PERIOD, "unit": unit})
    assert answer.status_code == 200
    document = answer.json()
    assert document == command_json(capsys, "service_index", unit)
    if unit == "DBD-PH":
        assert document["totals"]["counts"]["rated"] == 3 and document["totals"]["counts"]["papers_digitized"] == 2


def test_without_a_unit_the_figures_are_the_keys_whole_scope(api, scored, capsys):  # noqa: F811
    answer = api["pu_hong_reader"].http.get("/api/v1/figures/tally/", PERIOD).json()
    assert answer == command_json(capsys, "tally", "DBD-PH")


@pytest.mark.parametrize("path", ["/api/v1/figures/tally/", "/api/v1/figures/service-index/"])
@pytest.mark.parametrize(("caller", "unit"), [("keo_lom", "DBD-PH"), ("keo_lom", "DBD"), ("krong_no", "DB")])
def test_a_unit_outside_the_keys_scope_is_not_found(api, scored, path, caller, unit):  # noqa: F811
    answer = api[caller].http.get(path, {**PERIOD, "unit": unit})
    assert answer.status_code == 404 and answer.json()["error"]["code"] == "khong_tim_thay"
    # The same answer as a code that does not exist: nothing learnt about other units.
    unknown = api[caller].http.get(path, {**PERIOD, "unit": "KHONG-CO"})
    assert unknown.status_code == 404 and unknown.json() == answer.json()


@pytest.mark.parametrize(
    ("query", "field", "words"),
    [
        ({"from": "2024-03-31", "to": "2024-03-01"}, "to", "trước ngày bắt đầu"),
        ({"from": "2024-05-01", "to": "2024-05-31"}, "from", "chưa bắt đầu"),
        ({"from": "01/03/2024", "to": "2024-03-31"}, "from", "YYYY-MM-DD"),
        ({"to": "2024-03-31"}, "from", "bắt buộc"),
        ({"from": "1024-03-01", "to": "2024-03-31"}, "from", "ngoài khoảng"),
    ],
)
def test_a_wrong_period_is_refused_on_its_field(api, query, field, words):
    answer = api["province"].http.get("/api/v1/figures/tally/", query)
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["field"] == field and words in error["message"]
