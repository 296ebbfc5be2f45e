"""Background jobs of the reports app. Task names are stable: the beat schedule refers to them."""

import logging

from celery import shared_task
from django.db import DatabaseError
from django.utils import timezone

from reports import periods
from reports.freeze import freeze, freeze_closed_months, roll_up_running_month
from reports.models import Freeze, FreezeKind

log = logging.getLogger(__name__)


@shared_task(name="reports.freeze_period", autoretry_for=(DatabaseError,), retry_backoff=True, max_retries=5)
def freeze_period():
    """On the 1st: freeze every closed month not yet frozen. On the 15th: the statistical month just closed."""
    today = timezone.localdate()
    done = [f"tháng {f.start:%m/%Y}" for f in freeze_closed_months(until=today)]
    stat = periods.statistical_month(today.year, today.month)
    if stat.end < today and not Freeze.objects.filter(kind=FreezeKind.STAT_MONTH, start=stat.start, current=True):
        freeze(stat, kind=FreezeKind.STAT_MONTH)
        done.append(stat.label)
    log.info("Chốt số liệu: %s", ", ".join(done) or "không có kỳ mới")
    return done


@shared_task(name="reports.roll_up_running_month", autoretry_for=(DatabaseError,), retry_backoff=True, max_retries=5)
def roll_up_running_month_task():
    """Each night: the running month's finished days summed, so this month's reports count only today live."""
    rollup = roll_up_running_month()
    if rollup is None:
        return None
    log.info("Tổng hợp tạm tháng đang chạy: %s – %s", f"{rollup.start:%d/%m/%Y}", f"{rollup.end:%d/%m/%Y}")
    return f"{rollup.start:%d/%m/%Y}–{rollup.end:%d/%m/%Y}"


@shared_task(name="reports.weekly_report", autoretry_for=(DatabaseError,), retry_backoff=True, max_retries=3)
def weekly_report():
    """Friday morning: each office's letter and figures for the week to MEDIA_ROOT/bao-cao-tuan/, and a short e-mail."""
    from reports.weekly import write_and_send

    return [path.name for path in write_and_send()]
