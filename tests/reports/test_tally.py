"""Every counter against a hand-computed fixture: March 2024 at Pú Hồng, with Keo Lôm next door."""

import pytest

from cases.models import Channel, Dossier, State
from reports import periods
from reports.tally import Counters, tally
from tests.conftest import vn

ONLINE, DIRECT, POSTAL = Channel.ONLINE, Channel.DIRECT, Channel.POSTAL


def make(code, unit, procedure, received, due, resolved=None, ended=None, state=None, channel=DIRECT):
    if state is None:
        state = State.RESOLVED if resolved else State.PROCESSING
    return Dossier.objects.create(
        code=code,
        unit=unit,
        procedure=procedure,
        applicant_name="Người nộp",
        channel=channel,
        processing_days=procedure.processing_days,
        received_at=received,
        due_at=due,
        resolved_at=resolved,
        ended_at=ended,
        state=state,
    )


@pytest.fixture
def march(units, procedures):
    ph, kl = units["pu_hong"], units["keo_lom"]
    land, guardian, marriage = procedures["land"], procedures["guardian"], procedures["marriage"]
    # Resolved before March: outside the period entirely.
    make("1", ph, land, vn(2024, 2, 15, 10), vn(2024, 2, 22, 10), resolved=vn(2024, 2, 20, 9))
    # Carried over, resolved on its due day in March: on time.
    make("2", ph, land, vn(2024, 2, 26, 9), vn(2024, 3, 4, 9), resolved=vn(2024, 3, 4, 15))
    # Carried over and still open at the end, due long before: overdue.
    make("3", ph, land, vn(2024, 2, 28, 9), vn(2024, 3, 6, 9))
    # Online, resolved the day before it was due: early.
    make("4", ph, guardian, vn(2024, 3, 1, 8), vn(2024, 3, 6, 8), resolved=vn(2024, 3, 5, 16), channel=ONLINE)
    # Online on the evening of the last day: in the period; open, due after the last day.
    make("5", ph, guardian, vn(2024, 3, 31, 20), vn(2024, 4, 3, 17), channel=ONLINE)
    # Just after midnight: the next period.
    make("5b", ph, guardian, vn(2024, 4, 1, 0, 10), vn(2024, 4, 4, 7), channel=ONLINE)
    # By post, resolved two days after its due day: late.
    make("6", ph, land, vn(2024, 3, 11, 8), vn(2024, 3, 18, 8), resolved=vn(2024, 3, 20, 10), channel=POSTAL)
    # Open, due after the last day: within deadline.
    make("7", ph, land, vn(2024, 3, 25, 8), vn(2024, 4, 1, 8))
    # Same-day procedure left open: overdue at the period's end.
    make("8", ph, marriage, vn(2024, 3, 29, 8), vn(2024, 3, 29, 17))
    # Refused in March: received, but neither resolved nor open.
    make("9", ph, land, vn(2024, 3, 12, 8), vn(2024, 3, 19, 8), ended=vn(2024, 3, 13, 9), state=State.REFUSED)
    # Received in February, withdrawn in March: carried over, then neither.
    make("10", ph, land, vn(2024, 2, 20, 8), vn(2024, 2, 27, 8), ended=vn(2024, 3, 10, 9), state=State.WITHDRAWN)
    # Waiting for supplementary papers: open, its due time moved past the period.
    make("11", ph, land, vn(2024, 3, 4, 8), vn(2024, 4, 10, 8), state=State.SUPPLEMENT)
    # Resolved only in April: open at the end of March, and overdue then.
    make("13", ph, land, vn(2024, 3, 10, 8), vn(2024, 3, 15, 8), resolved=vn(2024, 4, 2, 9))
    # Another commune.
    make("12", kl, guardian, vn(2024, 3, 5, 8), vn(2024, 3, 8, 8), resolved=vn(2024, 3, 6, 8), channel=ONLINE)
    return periods.month(2024, 3)


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
    assert [row.field.name for row in result.fields] == ["Hộ tịch", "Đất đai"]


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
