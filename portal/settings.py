"""Settings, all from the environment (README lists them)."""

from pathlib import Path

import dj_database_url
from celery.schedules import crontab

from .env import env_bool, env_float, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("PORTAL_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DJANGO_DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY") or ("dev-only-insecure-key" if DEBUG or env_bool("PORTAL_DEV", True) else "")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
PORT = env_int("PORT", 8000)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "cases",
    "reports",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # A NUL byte in a URL or a form: 400 before anything reads it (portal/middleware.py).
    "portal.middleware.RefuseNulBytes",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "cases.context_processors.portal",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'portal.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
    )
}
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # The report aggregates are short queries run often: JIT compilation costs more than it saves (seconds on
    # a province's 10M dossiers for a 0,2 s query), so the portal's connections do without it.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # WAL lets the Celery worker read while the site writes.
    DATABASES["default"]["OPTIONS"] = {"init_command": "PRAGMA journal_mode=WAL;", "timeout": 20}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "cases:today"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", "Tiếng Việt")]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True
FORMAT_MODULE_PATH = ["portal.formats"]
USE_THOUSAND_SEPARATOR = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = True
# Uploaded files (imports, explanation attachments) live outside the web root.
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Redis when REDIS_URL is set; otherwise a broker that needs no server (kombu's filesystem transport).
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    # A Redis that is down or hung must not hold a desk request: fail within seconds, the beat retries the work.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 3}
    CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 2
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    _broker_dir = VAR_DIR / "broker"
    for sub in ("out", "processed", "control"):
        (_broker_dir / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "out"),
        "data_folder_out": str(_broker_dir / "out"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
    CELERY_RESULT_BACKEND = f"file://{VAR_DIR / 'results'}"
    (VAR_DIR / "results").mkdir(parents=True, exist_ok=True)
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
# Times are Asia/Ho_Chi_Minh (CELERY_TIMEZONE). Every job is idempotent, so a run missed or repeated is harmless.
CELERY_BEAT_SCHEDULE = {
    "cases.flag_overdue every 15 minutes": {
        "task": "cases.flag_overdue",
        "schedule": crontab(minute="*/15"),
        "options": {"expires": 14 * 60},  # a backlog after an outage collapses into the next run
    },
    "cases.flag_overdue after midnight": {"task": "cases.flag_overdue", "schedule": crontab(hour=0, minute=5)},
    "reports.freeze_period on the 1st and the 15th": {
        "task": "reports.freeze_period",
        "schedule": crontab(hour=0, minute=30, day_of_month="1,15"),
    },
    "reports.roll_up_running_month every night": {
        "task": "reports.roll_up_running_month",
        "schedule": crontab(hour=0, minute=20),
    },
    "reports.weekly_report on Friday morning": {
        "task": "reports.weekly_report",
        "schedule": crontab(hour=7, minute=30, day_of_week="fri"),
    },
    "cases.send_digests at the start of the working day": {
        "task": "cases.send_digests",
        "schedule": crontab(hour=6, minute=45, day_of_week="mon-sat"),  # the task skips days off, works make-up days
    },
}

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "motcua@localhost")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

# --- Domain settings (DOMAIN.md) -------------------------------------------------------------
# Office hours: a working day is the sum of these intervals (8 hours by default).
OFFICE_HOURS = [tuple(part.split("-")) for part in env_list("OFFICE_HOURS", ["07:00-11:30", "13:30-17:00"])]
SAME_DAY_CUTOFF = env_str("SAME_DAY_CUTOFF", "15:00")
# "resume": a supplement request stops the clock, the due time moves by the time paused;
# "restart": the whole processing time starts again when the papers arrive.
SUPPLEMENT_CLOCK = env_str("SUPPLEMENT_CLOCK", "resume")
if SUPPLEMENT_CLOCK not in {"resume", "restart"}:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("SUPPLEMENT_CLOCK must be 'resume' or 'restart'")
TARGET_ON_TIME_RATE = env_float("TARGET_ON_TIME_RATE", 95.0)
TARGET_ONLINE_RATE = env_float("TARGET_ONLINE_RATE", 70.0)
# --- BEGIN APPRAISAL_RULES (Nội vụ's rating; reports/appraisal.py) ---------------------------------
# Ordered (label, conditions); the first rule whose conditions all hold wins, an empty one catches the rest.
# Conditions: min_on_time_rate, min_online_rate, min_digitized_rate (%), max_late, max_overdue,
# max_unanswered_explanations, max_unissued_apologies (counts). APPRAISAL_RULES_JSON (a JSON list of
# [label, {conditions}]) replaces the default.
APPRAISAL_RULES = [
    ("Hoàn thành xuất sắc nhiệm vụ", {"min_on_time_rate": 98, "max_unanswered_explanations": 0, "max_overdue": 0}),
    ("Hoàn thành tốt nhiệm vụ", {"min_on_time_rate": 95, "max_unanswered_explanations": 0}),
    ("Hoàn thành nhiệm vụ", {"min_on_time_rate": 90}),
    ("Không hoàn thành nhiệm vụ", {}),
]
if env_str("APPRAISAL_RULES_JSON"):
    import json as _json

    from django.core.exceptions import ImproperlyConfigured

    try:
        _rules = _json.loads(env_str("APPRAISAL_RULES_JSON"))
        APPRAISAL_RULES = [(label, dict(conditions)) for label, conditions in _rules]
    except (ValueError, TypeError) as _exc:
        raise ImproperlyConfigured("APPRAISAL_RULES_JSON must be a JSON list of [label, {conditions}]") from _exc
# Scopes with more units than this are built by a Celery task (reports.build_workbook) instead of streamed.
APPRAISAL_ASYNC_UNITS = env_int("APPRAISAL_ASYNC_UNITS", 50)
# --- END APPRAISAL_RULES ------------------------------------------------------------------------------
# Years of the holidays package copied into the editable calendar.
CALENDAR_YEARS = (env_int("CALENDAR_FIRST_YEAR", 2018), env_int("CALENDAR_LAST_YEAR", 2030))

# --- Limits on imported files and on workers (issue 10, item 6; cases/exchange/guard.py) -------------------------
# A file is checked against these before it is parsed; the figures they give are in bench/BENCHMARKS.md.
IMPORT_MAX_ROWS = env_int("IMPORT_MAX_ROWS", 1_000_000)
IMPORT_XLSX_MAX_UNPACKED_MB = env_int("IMPORT_XLSX_MAX_UNPACKED_MB", 1024)
IMPORT_XLSX_MAX_SHARED_STRINGS_MB = env_int("IMPORT_XLSX_MAX_SHARED_STRINGS_MB", 64)
IMPORT_XLSX_MAX_RATIO = env_int("IMPORT_XLSX_MAX_RATIO", 100)
# A worker child that has grown past this (KiB) is replaced after its task; portal/celery.py also gives each child
# a hard address-space ceiling (WORKER_MEMORY_LIMIT_MB) so that one task can never take the machine's memory.
CELERY_WORKER_MAX_MEMORY_PER_CHILD = env_int("WORKER_MAX_MEMORY_PER_CHILD_MB", 512) * 1024
WORKER_MEMORY_LIMIT_MB = env_int("WORKER_MEMORY_LIMIT_MB", 2048)
