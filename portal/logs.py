"""One logging configuration for the site, the Celery worker and gunicorn: every line stamped in Vietnam's time.

Imported by portal/settings.py (Django and Celery) and by gunicorn.conf.py (gunicorn's own lines, written before
Django is loaded), so no import of Django here.
"""

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

TIME_ZONE = "Asia/Ho_Chi_Minh"


class LocalTimeFormatter(logging.Formatter):
    """'2026-12-02 07:55:01 +07:00 INFO django.request: …' whatever the process's own TZ is."""

    def __init__(self, fmt=None, datefmt=None, time_zone=TIME_ZONE):
        super().__init__(fmt, datefmt)
        self.zone = ZoneInfo(time_zone)

    def formatTime(self, record, datefmt=None):  # noqa: N802 — logging's name
        moment = datetime.fromtimestamp(record.created, self.zone)
        return moment.strftime(datefmt) if datefmt else moment.isoformat(sep=" ", timespec="seconds")


class OneLineForbidden(logging.Filter):
    """A refused request (403) is routine, not a fault: one line, without the traceback Django attaches."""

    def filter(self, record):
        if getattr(record, "status_code", None) == 403:
            record.exc_info = None
            record.exc_text = None
        return True


def config(level="INFO", time_zone=TIME_ZONE):
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"one_line_forbidden": {"()": OneLineForbidden}},
        "formatters": {
            "local": {
                "()": LocalTimeFormatter,
                "fmt": "%(asctime)s %(levelname)s %(name)s: %(message)s",
                "time_zone": time_zone,
            },  # fmt: skip
        },
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "local"}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.request": {"filters": ["one_line_forbidden"]},
            "django.security": {"filters": ["one_line_forbidden"]},
            # gunicorn gives its loggers handlers of its own: these replace them.
            "gunicorn.error": {"handlers": ["console"], "level": level, "propagate": False},
            "gunicorn.access": {"handlers": ["console"], "level": "INFO", "propagate": False},
        },
    }
