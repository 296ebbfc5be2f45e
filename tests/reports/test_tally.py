"""Every counter against a hand-computed fixture: March 2024 at Pú Hồng, with Keo Lôm next door."""

from reports.figures import periods
from reports.figures.counters import Counters
from reports.figures.tally import tally

PU_HONG_MARCH = Counters(
    received_total=11,
    received_in_period=8,
    carried_over=3,
    received_online=2,
    received_direct=5,
    received_postal=1,
    resolved_total=3,
    resolved_early=1,
    resolved_on_time=1,
    resolved_late=1,
    in_progress_total=6,
    in_progress_within_deadline=3,
    in_progress_overdue=3,
)


def test_every_counter_of_a_commune_matches_the_hand_count(march, units):
    result = tally(march, scope=units["pu_hong"])
    assert result.totals == PU_HONG_MARCH
    assert result.totals.on_time_rate == 66.67
    assert result.totals.online_rate == 25.0
    assert [row.unit.code for row in result.units] == ["DBD-PH"]


def test_the_district_adds_its_communes_and_lists_every_unit(march, units):
    result = tally(march, scope=units["district"])
    keo_lom = next(row for row in result.units if row.unit.code == "DBD-KL")
    assert keo_lom.counters.resolved_early == 1 and keo_lom.counters.received_online == 1
    assert result.totals.received_total == 12
    assert result.totals.resolved_total == 4
    # Every unit of the scope has a row, those without dossiers too.
    assert {row.unit.code for row in result.units} == {"DBD", "DBD-KTHT", "DBD-PH", "DBD-KL", "DBD-PG"}
    assert next(row for row in result.units if row.unit.code == "DBD-PG").counters == Counters()


def test_by_field_gives_the_same_totals(march, units):
    result = tally(march, scope=units["district"])
    assert sum((row.counters for row in result.fields), Counters()) == result.totals
    # Vietnamese alphabetical order: Đ comes with D, before H.
    assert [row.field.name for row in result.fields] == ["Đất đai", "Hộ tịch"]


def test_received_splits_into_resolved_open_and_ended(march, units):
    totals = tally(march, scope=units["pu_hong"]).totals
    ended = 2  # one refused, one withdrawn
    assert totals.received_total == totals.resolved_total + totals.in_progress_total + ended


def test_rates_are_null_when_nothing_counts(units):
    empty = tally(periods.month(2024, 3), scope=units["pu_hong"]).totals
    assert empty.on_time_rate is None and empty.online_rate is None


def test_each_grouping_is_one_query(march, units, django_assert_num_queries):
    # Units of the scope, the per-unit aggregate, the per-field aggregate, the fields.
    with django_assert_num_queries(4):
        tally(march, scope=units["district"])


def test_the_seed_rates_are_reproduced():
    # Seed 001: 125.638 of 128.843 on time = 97,51%; seed 002: 10.677 / (10.677 + 662) = 94,2%.
    assert Counters(resolved_total=128843, resolved_early=125638).on_time_rate == 97.51
    assert round(Counters(resolved_total=10677 + 662, resolved_on_time=10677).on_time_rate, 1) == 94.2


def test_every_counter_links_to_exactly_the_dossiers_it_counts(march, units):
    from cases.models import Dossier
    from reports.figures.counters import COUNTER_NAMES, behind

    totals = tally(march, scope=units["pu_hong"]).totals
    dossiers = Dossier.objects.filter(unit=units["pu_hong"])
    for name in COUNTER_NAMES:
        assert behind(dossiers, march, name).count() == getattr(totals, name), name
    late = behind(dossiers, march, "resolved_late").values_list("code", flat=True)
    assert list(late) == ["6"]


def test_the_trend_counts_each_month_in_three_queries(march, units, django_assert_num_queries):
    from cases.models import Unit
    from reports.figures.trend import trend

    ids = list(Unit.objects.subtree(units["district"]).values_list("pk", flat=True))
    # Which months are frozen, then what was received and what was resolved.
    with django_assert_num_queries(3):
        points = trend(periods.month(2024, 4), scope=units["district"], months=3, units=ids)
    assert [p.month.isoformat() for p in points] == ["2024-02-01", "2024-03-01", "2024-04-01"]
    february, march_point, april = points
    # February: dossiers 1, 2, 3, 10 received; 1 resolved on time (before its due day).
    assert (february.received, february.resolved, february.on_time_rate) == (4, 1, 100.0)
    # March: 8 received at Pú Hồng (incl. the refused one) + 1 at Keo Lôm; 4 resolved, 3 timely.
    assert (march_point.received, march_point.received_online) == (9, 3)
    assert (march_point.resolved, march_point.on_time_rate) == (4, 75.0)
    # April: the dossier received just after midnight; dossier 13 resolved late.
    assert (april.received, april.resolved, april.on_time_rate) == (1, 1, 0.0)


def test_units_are_grouped_by_online_service_like_seed_003(march, units):
    from reports.figures.tally import online_groups

    result = tally(march, scope=units["district"])
    groups = {key: [unit.code for unit, *_ in members] for key, _, members in online_groups(result)}
    # Pú Hồng and Keo Lôm have online dossiers, of partial-online procedures only.
    assert sorted(groups["partial"]) == ["DBD-KL", "DBD-PH"]
    assert groups["full"] == [] and groups["zero"] == []
    assert sorted(groups["none"]) == ["DBD", "DBD-KTHT", "DBD-PG"]


def test_a_running_period_counts_open_dossiers_as_of_today(march, units):
    import time_machine

    from tests.conftest import vn

    # On 20/03/2024 the month is still running: it is counted up to that day.
    with time_machine.travel(vn(2024, 3, 20, 12), tick=False):
        result = tally(periods.month(2024, 3), scope=units["pu_hong"])
    assert result.period.end.isoformat() == "2024-03-20"
    assert result.period.label == "tháng 03/2024 (đến ngày 20/03/2024)"
    # Open at noon on the 20th: 3 (due 06/03) and 13 (due 15/03) overdue, 11 (due 10/04) within deadline.
    assert result.totals.in_progress_overdue == 2
    assert result.totals.in_progress_within_deadline == 1


def test_the_trend_reuses_the_month_the_tally_just_counted(march, units, django_assert_num_queries):
    from reports.figures.freeze import freeze
    from reports.figures.trend import trend

    for month in (1, 2):
        freeze(periods.month(2024, month))
    result = tally(march, scope=units["district"])
    ids = [row.unit.pk for row in result.units]
    fresh = trend(march, units=ids, months=3)
    # January and February frozen, March just counted by the tally: only the freeze lookup remains.
    with django_assert_num_queries(2):
        reused = trend(march, units=ids, months=3, known=result.live_totals)
    assert [(p.received, p.resolved, p.on_time_rate, p.online_rate) for p in reused] == [
        (p.received, p.resolved, p.on_time_rate, p.online_rate) for p in fresh
    ]


def test_a_unit_abolished_before_the_period_is_listed_only_while_it_has_dossiers(march, units):
    from datetime import date

    # Phình Giàng merged into Keo Lôm at the end of 2023: nothing of its own in March 2024, so not listed.
    phinh_giang = units["phinh_giang"]
    phinh_giang.valid_to, phinh_giang.merged_into = date(2023, 12, 31), units["keo_lom"]
    phinh_giang.save()
    codes = [row.unit.code for row in tally(march, scope=units["district"]).units]
    assert "DBD-PG" not in codes and "DBD-KL" in codes
    # Pú Hồng abolished too, but its March dossiers keep it in the report under its own name.
    units["pu_hong"].valid_to = date(2023, 12, 31)
    units["pu_hong"].save()
    result = tally(march, scope=units["district"])
    assert next(row for row in result.units if row.unit.code == "DBD-PH").counters.received_total == 11
