import json

from django.core.management import call_command

from reports import wording
from reports.tally import Counters, tally


def test_numbers_and_rates_are_written_the_vietnamese_way():
    assert wording.number(136583) == "136.583"
    assert wording.percent(97.51) == "97,51%"
    assert wording.percent(94.2) == "94,2%"
    assert wording.percent(100.0) == "100%"
    assert wording.count(1) == "01"
    assert wording.count(1234) == "1.234"


def test_the_summary_reads_like_seed_001(march, units):
    text = wording.summary(tally(march, scope=units["pu_hong"]))
    assert text.startswith("Từ ngày 01/03/2024 đến ngày 31/03/2024, các cơ quan, đơn vị thuộc UBND xã Pú Hồng")
    assert "đã tiếp nhận 11 hồ sơ (có 3 hồ sơ của kỳ trước chuyển qua); đã giải quyết, trả kết quả 3 hồ sơ." in text
    assert "đúng hạn và trước hạn 2 hồ sơ (đạt tỷ lệ 66,67%), trong đó trước hạn 1 hồ sơ" in text
    assert "quá hạn 1 hồ sơ (chiếm tỷ lệ 33,33%)" in text
    assert "đang giải quyết 6 hồ sơ, trong đó trong hạn 3 hồ sơ, quá hạn 3 hồ sơ" in text
    assert "đạt tỷ lệ 25% số hồ sơ tiếp nhận trong kỳ (chỉ tiêu trên 70%)" in text


def test_units_are_named_one_by_one_like_seed_000(march, units):
    paragraphs = wording.paragraphs(tally(march, scope=units["district"]))
    named = next(p for p in paragraphs if p.startswith("Các cơ quan, đơn vị có hồ sơ giải quyết quá hạn"))
    assert "UBND xã Pú Hồng (01 hồ sơ TTHC đã giải quyết quá hạn, 03 hồ sơ TTHC đang giải quyết quá hạn)" in named
    assert "Keo Lôm" not in named
    below = next(p for p in paragraphs if "dưới 95%" in p)
    assert "UBND xã Pú Hồng (66,67%)" in below
    online = next(p for p in paragraphs if p.startswith("Số hồ sơ trực tuyến theo đơn vị"))
    assert "UBND xã Pú Hồng 2 hồ sơ; UBND xã Keo Lôm 1 hồ sơ" in online


def test_json_has_the_documented_shape_and_the_same_figures(march, units, capsys):
    call_command("tally", "--from", "01/03/2024", "--to", "2024-03-31", "--unit", "DBD", "--format", "json")
    document = json.loads(capsys.readouterr().out)
    assert document["period"] == {"from": "2024-03-01", "to": "2024-03-31"}
    assert document["scope"] == {"code": "DBD", "name": "UBND huyện Điện Biên Đông"}
    pu_hong = next(unit for unit in document["units"] if unit["code"] == "DBD-PH")
    assert pu_hong["parent"] == "DBD" and pu_hong["level"] == "xa"
    expected = tally(march, scope=units["pu_hong"]).totals
    assert {key: pu_hong[key] for key in Counters().as_dict()} == expected.as_dict()
    assert pu_hong["on_time_rate"] == 66.67
    assert document["totals"]["received_total"] == 12
    assert document["text"] == wording.text(tally(march, scope=units["district"]))


def test_text_format_prints_the_paragraphs(march, units, capsys):
    call_command("tally", "--from", "01/03/2024", "--to", "31/03/2024", "--unit", "DBD-PH")
    out = capsys.readouterr().out
    assert "đã tiếp nhận 11 hồ sơ" in out
