"""Background jobs of the reports app. Task names are stable: the beat schedule refers to them. Each task is thin:
the work is in the layers below."""

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import DatabaseError

from cases.catalogue.models import Unit
from cases.core import jobs
from cases.core.formats import day
from cases.followup import homeaffairs, weekly
from reports.figures.freeze import freeze_due_periods, roll_up_running_month

log = logging.getLogger(__name__)


@shared_task(name="reports.freeze_period", autoretry_for=(DatabaseError,), retry_backoff=True, max_retries=5)
def freeze_period():
    """On the 1st: freeze every closed month not yet frozen. On the 15th: the statistical month just closed."""
    done = freeze_due_periods()
    log.info("Chốt số liệu: %s", ", ".join(done) or "không có kỳ mới")
    return done


@shared_task(name="reports.roll_up_running_month", autoretry_for=(DatabaseError,), retry_backoff=True, max_retries=5)
def roll_up_running_month_task():
    """Each night: the running month's finished days summed, so this month's reports count only today live."""
    rollup = roll_up_running_month()
    if rollup is None:
        return None
    log.info("Tổng hợp tạm tháng đang chạy: %s – %s", day(rollup.start), day(rollup.end))
    return f"{day(rollup.start)}–{day(rollup.end)}"


@shared_task(name="reports.weekly_report", autoretry_for=(DatabaseError,), retry_backoff=True, max_retries=3)
def weekly_report():
    """Friday morning: each office's letter and figures for the week to MEDIA_ROOT/bao-cao-tuan/, and a short e-mail."""
    return [path.name for path in weekly.write_and_send()]


@shared_task(name="reports.build_workbook", bind=True, acks_late=True)
def build_workbook(self, job_id):
    """Build the workbook a job asks for, within what its owner may see, reporting progress as it goes."""
    job = jobs.claim(job_id, self.request.id)
    if job is None:
        return None
    try:
        with jobs.heartbeat(job):
            scope = Unit.objects.get(pk=job.params["scope_id"]) if job.params.get("scope_id") else None
            homeaffairs.work(job, scope)
    except jobs.Superseded:
        log.warning("Việc %s đã được chạy lại hoặc đánh dấu mất tiến trình; bỏ qua lần chạy này.", job_id)
        return None
    except SoftTimeLimitExceeded:
        jobs.fail(job_id, jobs.TIMED_OUT_MESSAGE.format(minutes=round(settings.JOB_SOFT_TIME_LIMIT / 60)))
        return None
    except DatabaseError:
        jobs.fail(job_id, "Cơ sở dữ liệu không phản hồi; chưa tạo được tệp. Bấm «Thử lại» sau ít phút.", retryable=True)
        raise
    except Exception:
        jobs.fail(job_id, "Không tạo được tệp. Hãy thử lại hoặc báo quản trị hệ thống.")
        raise
    return str(job.uid)
