"""Chốt số liệu: a closed month's figures stay as reported; longer periods compose frozen and live parts exactly."""

import pytest
import time_machine

from cases.models import Dossier
from reports.figures import periods
from reports.figures.freeze import FreezeRefused, freeze, freeze_closed_months
from reports.figures.tally import tally
from reports.models import Freeze
from tests.conftest import vn


@pytest.fixture(autouse=True)
def _may_2024():
    with time_machine.travel(vn(2024, 5, 2, 9), tick=False):
        yield


def test_composing_frozen_months_gives_exactly_the_live_figures(march, units):
    quarter = periods.date_range(periods.month(2024, 2).start, periods.month(2024, 4).end)
    live = tally(quarter, scope=units["district"])
    assert not live.freezes
    freeze(periods.month(2024, 3))
    # February and April live, March frozen.
    mixed = tally(quarter, scope=units["district"])
    assert [f.start.isoformat() for f in mixed.freezes] == ["2024-03-01"]
    assert mixed.totals == live.totals
    assert [r.counters for r in mixed.units] == [r.counters for r in live.units]
    assert [r.counters for r in mixed.fields] == [r.counters for r in live.fields]
    freeze(periods.month(2024, 2))
    freeze(periods.month(2024, 4))
    assert tally(quarter, scope=units["district"]).totals == live.totals


def test_a_correction_after_the_freeze_leaves_the_closed_month_as_reported(march, units, cast):
    reported = tally(march, scope=units["pu_hong"])
    frozen = freeze(march, by=cast["admin"])
    late = Dossier.objects.get(code="6")
    late.correct_date(by=cast["desk_pu_hong"], field="due_at", value=vn(2024, 3, 25, 8), reason="Sai hạn")
    again = tally(march, scope=units["pu_hong"])
    assert again.totals == reported.totals
    assert again.totals.resolved_late == 1
    assert again.frozen_at == frozen.frozen_at
    # The statistical period is not frozen: it is computed from the dossiers as they are now.
    assert tally(periods.date_range(march.start, march.end.replace(day=30)), scope=units["pu_hong"]).freezes == []


def test_a_refreeze_needs_a_reason_and_keeps_the_old_figures(march, units, cast):
    first = freeze(march)
    with pytest.raises(FreezeRefused, match="chốt lại cần ghi lý do"):
        freeze(march)
    Dossier.objects.filter(code="6").update(due_at=vn(2024, 3, 25, 8))
    second = freeze(march, by=cast["admin"], reason="Phòng KT-HT điều chỉnh hạn theo văn bản")
    first.refresh_from_db()
    assert (first.current, second.current) == (False, True)
    assert first.figures.filter(resolved_late=1).exists()
    assert tally(march, scope=units["pu_hong"]).totals.resolved_late == 0


def test_an_open_period_cannot_be_frozen(march):
    with pytest.raises(FreezeRefused, match="chưa kết thúc"):
        freeze(periods.month(2024, 5))


def test_the_monthly_job_freezes_each_closed_month_once(march):
    frozen = freeze_closed_months()
    assert [f.start.isoformat() for f in frozen] == ["2024-02-01", "2024-03-01", "2024-04-01"]
    assert freeze_closed_months() == []
    assert Freeze.objects.count() == 3


def test_the_command_freezes_a_month_and_refuses_a_second_time_without_reason(march, capsys):
    from django.core.management import CommandError, call_command

    call_command("freeze_period", "--month", "03/2024")
    assert "Đã chốt số liệu tháng 03/2024" in capsys.readouterr().out
    with pytest.raises(CommandError, match="chốt lại cần ghi lý do"):
        call_command("freeze_period", "--month", "03/2024")
    call_command("freeze_period", "--stat-month", "04/2024")
    assert Freeze.objects.filter(kind="stat_month", start="2024-03-15", end="2024-04-14").exists()


def test_the_task_freezes_closed_months_and_the_statistical_month(march):
    from reports.tasks import freeze_period

    with time_machine.travel(vn(2024, 5, 15, 0, 30), tick=False):
        done = freeze_period.apply().get()
    assert done == [
        "tháng 02/2024",
        "tháng 03/2024",
        "tháng 04/2024",
        "kỳ thống kê tháng 05/2024 (từ 15/04/2024 đến 14/05/2024)",
    ]
    # Run again the next night: nothing new to freeze.
    with time_machine.travel(vn(2024, 5, 16, 0, 30), tick=False):
        assert freeze_period.apply().get() == []


def test_the_running_months_rollup_plus_today_gives_exactly_the_live_figures(march, units, cast):
    from reports.figures.freeze import roll_up_running_month
    from reports.figures.trend import trend

    # 20/03/2024: the month is running. Last night's rollup holds 01–19/03; today is counted live.
    with time_machine.travel(vn(2024, 3, 20, 12), tick=False):
        live = tally(periods.month(2024, 3), scope=units["district"])
        ids = [row.unit.pk for row in live.units]
        fresh_trend = trend(periods.month(2024, 3), units=ids, months=2)
        rollup = roll_up_running_month()
        assert (rollup.kind, rollup.start.isoformat(), rollup.end.isoformat()) == ("rollup", "2024-03-01", "2024-03-19")
        composed = tally(periods.month(2024, 3), scope=units["district"])
        assert composed.rolled_up == rollup and composed.frozen_at is None  # a rollup is never announced as "chốt"
        assert composed.totals == live.totals
        assert [r.counters for r in composed.units] == [r.counters for r in live.units]
        assert [r.counters for r in composed.fields] == [r.counters for r in live.fields]
        rolled_trend = trend(periods.month(2024, 3), units=ids, months=2, known=composed.live_totals)
        assert [(p.received, p.resolved, p.resolved_timely) for p in rolled_trend] == [
            (p.received, p.resolved, p.resolved_timely) for p in fresh_trend
        ]
    # The next night's rollup replaces it: a cache, not a reported figure with a history.
    with time_machine.travel(vn(2024, 3, 21, 0, 20), tick=False):
        again = roll_up_running_month()
    assert list(Freeze.objects.filter(kind="rollup").values_list("pk", flat=True)) == [again.pk]
    assert again.end.isoformat() == "2024-03-20"
    # On the 1st there is nothing finished in the new month.
    with time_machine.travel(vn(2024, 4, 1, 0, 20), tick=False):
        assert roll_up_running_month() is None


def test_the_nightly_task_rolls_up_and_the_dashboard_says_so(march, units, cast, client):
    from django.urls import reverse

    from reports.tasks import roll_up_running_month_task
    from tests.conftest import PASSWORD

    with time_machine.travel(vn(2024, 3, 20, 0, 20), tick=False):
        assert roll_up_running_month_task.apply().get() == "01/03/2024–19/03/2024"
    client.login(username=cast["office"].username, password=PASSWORD)
    with time_machine.travel(vn(2024, 3, 20, 9), tick=False):
        page = client.get(reverse("reports:index"), {"ky": "thang", "nam": "2024", "thang": "3", "don_vi": "DBD"})
    assert (
        "(đến hết 19/03/2024) đọc từ bản tổng hợp lúc 00:20 20/03/2024; hôm nay tính trực tiếp" in page.content.decode()
    )
