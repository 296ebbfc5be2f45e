"""The steps' figures (reports.figures.steps) counted by hand on the March fixture (tests/steps/conftest.py)."""

from cases.catalogue.calendar import calendar
from cases.desk import outcome
from cases.models import DossierStep
from reports.figures import periods, steps
from reports.figures.freeze import freeze
from reports.figures.officials import by_department, by_official, step_figures, waiting
from tests.steps.conftest import NOW

MARCH = periods.month(2024, 3)


def _table(rows):
    return {
        (row.unit.code, row.person.full_name): (
            row.counters.handled, row.counters.early, row.counters.on_time, row.counters.late,
            row.counters.hours_late, row.counters.sent_back, row.counters.overdue,
        )
        for row in rows
    }  # fmt: skip


def test_each_official_is_counted_the_steps_they_held(stepped, units, now):
    rows = by_official(step_figures(MARCH, [units["pu_hong"], units["keo_lom"]]), [units["pu_hong"], units["keo_lom"]])
    assert _table(rows) == {
        # handled, early, on time, late, hours late, sent back, overdue at the end of March
        ("DBD-PH", "Lò Văn A"): (6, 1, 4, 1, 1.5, 0, 0),
        ("DBD-PH", "Nguyễn Văn Nhập"): (2, 1, 0, 1, 1.5, 0, 0),
        ("DBD-PH", "Quàng Văn Chuyên"): (2, 1, 0, 1, 1.0, 1, 2),
        ("DBD-PH", "(Chưa ghi người xử lý)"): (1, 0, 1, 0, 0.0, 0, 0),
        ("DBD-KL", "Vàng Thị B"): (1, 0, 1, 0, 0.0, 0, 0),
    }
    # Tree order (Pú Hồng before Keo Lôm, as created), people by name, nobody last in the unit.
    assert [row.person.full_name for row in rows] == [
        "Lò Văn A", "Nguyễn Văn Nhập", "Quàng Văn Chuyên", "(Chưa ghi người xử lý)", "Vàng Thị B"
    ]  # fmt: skip


def test_departments_are_the_kinds_of_step(stepped, units, now):
    rows = by_department(step_figures(MARCH, [units["pu_hong"]]), [units["pu_hong"]])
    assert [(row.label, row.counters.handled, row.counters.late, row.counters.hours_late) for row in rows] == [
        ("Bộ phận Một cửa", 6, 1, 1.5),
        ("Bộ phận chuyên môn", 5, 2, 2.5),
    ]


def test_the_sql_classification_is_step_outcome(stepped, now):
    """Every finished step: the SQL conditions and cases.desk.outcome.step_outcome say the same."""
    annotated = outcome.with_step_days(DossierStep.objects.filter(finished_at__isnull=False))
    by_sql = {}
    for name, condition in (
        (outcome.EARLY, outcome.step_early_q()),
        (outcome.ON_TIME, outcome.step_on_time_q()),
        (outcome.LATE, outcome.step_late_q()),
    ):
        for pk in annotated.filter(condition).values_list("pk", flat=True):
            assert pk not in by_sql, "a step in two classes"
            by_sql[pk] = name
    by_python = {step.pk: outcome.step_outcome(step) for step in DossierStep.objects.filter(finished_at__isnull=False)}
    assert by_sql == by_python
    assert list(by_python.values()).count(outcome.LATE) == 4  # A, B, E1, G


def test_a_period_of_frozen_and_live_months_counts_what_live_counts(stepped, units, now):
    scope = [units["pu_hong"], units["keo_lom"]]
    live = step_figures(periods.date_range(MARCH.start, NOW.date()), scope)
    frozen_march = freeze(MARCH)
    assert frozen_march.with_steps
    composed = step_figures(periods.date_range(MARCH.start, NOW.date()), scope)
    assert composed == live
    # March and the days of April since: the specialist's G (late 1 h, in April) joins; B is still overdue now.
    specialist = next(row for row in by_official(composed, scope) if row.person.username == "chuyenvien.puhong")
    assert (specialist.counters.handled, specialist.counters.late, specialist.counters.hours_late) == (3, 2, 2.0)
    assert specialist.counters.overdue == 1
    # March alone, read from the freeze, is March counted live.
    assert step_figures(MARCH, scope) == steps.live(MARCH, [unit.pk for unit in scope])


def test_a_freeze_made_before_steps_were_counted_is_read_live(stepped, units, now):
    made = freeze(MARCH)
    made.with_steps = False
    made.save()
    steps_rows = steps.frozen([made.pk])[made.pk]
    assert steps_rows  # stored, but not trusted for an old freeze
    made.step_figures.all().delete()
    assert step_figures(MARCH, [units["pu_hong"]]) == steps.live(MARCH, [units["pu_hong"].pk])


def test_where_dossiers_wait_now(stepped, units, now):
    rows = waiting([units["pu_hong"], units["keo_lom"]], NOW)
    found = [(row.unit.code, row.number, row.person.full_name, row.open, row.not_taken, row.overdue) for row in rows]
    assert found == [
        ("DBD-PH", 2, "Quàng Văn Chuyên", 1, 0, 1),
        ("DBD-PH", 3, "(Chưa ghi người xử lý)", 1, 1, 0),
        ("DBD-KL", 2, "(Chưa ghi người xử lý)", 1, 1, 0),
    ]


def test_late_steps_of_a_dossier_are_traced_by_working_hours(stepped, now):
    traced = outcome.late_steps(stepped["B"].steps.select_related("holder"), calendar(), NOW)
    # Step 2 held since Thu 07/03, due Wed 13/03 08:00: 7 h that day, 19 working days, 2 h this morning.
    assert [(step.number, step.holder_label, seconds / 3600) for step, seconds in traced] == [
        (2, "Quàng Văn Chuyên", 161.0),
        (1, "Lò Văn A", 1.5),
    ]
