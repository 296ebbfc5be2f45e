"""Settings, all from the environment (README lists them)."""

import sys
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from . import logs
from .env import env_bool, env_float, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("PORTAL_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DJANGO_DEBUG", False)
# Development: DEBUG on, PORTAL_DEV=1 (`make run` and `make test` set it), or a test run. Anything else is production
# and gets the secure defaults below.
DEVELOPMENT = DEBUG or env_bool("PORTAL_DEV", False) or "pytest" in sys.modules
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEVELOPMENT:
        raise ImproperlyConfigured(
            "Chưa đặt SECRET_KEY: cổng không chạy thật bằng khóa mặc định. Đặt biến môi trường SECRET_KEY "
            "(50 ký tự ngẫu nhiên trở lên), hoặc PORTAL_DEV=1 / DJANGO_DEBUG=1 khi chỉ chạy thử trên máy mình. "
            "(SECRET_KEY is not set; set it, or PORTAL_DEV=1 for development.)"
        )
    SECRET_KEY = "dev-only-insecure-key"
# A desk takes in procedures of its own level only (cấp xã, cấp tỉnh), unless the province lets desks receive for
# units of another level (Decree 118/2025/NĐ-CP leaves it to the province): the receipt then names the resolving unit.
RECEIPT_ACROSS_LEVELS = env_bool("RECEIPT_ACROSS_LEVELS", False)
# The look-up key printed on receipts is derived from the dossier code with this secret (cases.desk.lookup): set it
# apart from SECRET_KEY so that rotating the session key does not change the keys applicants hold on paper.
LOOKUP_KEY_SECRET = env_str("LOOKUP_KEY_SECRET") or SECRET_KEY
# The portal's public address (the receipt's QR code opens <address>/tra-cuu/<code>/); blank: the address the
# receipt was printed from.
PUBLIC_URL = env_str("PUBLIC_URL").rstrip("/")
# Attempts at the public look-up: per visitor address in 10 minutes, and wrong answers per dossier code in an hour.
LOOKUP_ATTEMPTS_PER_ADDRESS = env_int("LOOKUP_ATTEMPTS_PER_ADDRESS", 20)
LOOKUP_FAILURES_PER_CODE = env_int("LOOKUP_FAILURES_PER_CODE", 10)
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
    "axes",
    "simple_history",
    "cases",
    "reports",
    "demo",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    # Its abstract key model (hashed keys); its own APIKey model is unused (api.admin hides it).
    "rest_framework_api_key",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # A NUL byte in a URL or a form: 400 before anything reads it (portal/middleware.py).
    "portal.middleware.RefuseNulBytes",
    # After a user's POST, their pages read the primary until a replica has replayed it (cases/core/routing.py).
    "cases.core.routing.ReadYourWrites",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "portal.security.IdleTimeout",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # Who changed a catalogue or account record (django-simple-history's history_user).
    "simple_history.middleware.HistoryRequestMiddleware",
    # Each call of another system kept with its client (api.models.ApiCall).
    "api.middleware.LogClientCalls",
    # Last, as django-axes asks: turns a locked-out login into the lock-out page.
    "axes.middleware.AxesMiddleware",
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

# --- Read replicas (README "Bản sao chỉ đọc"; cases/core/routing.py) ---------------------------------------------
# One alias per URL ("replica1", …). The reports, the lists, Hôm nay and the downloads read a replica that answers
# within REPLICA_CONNECT_TIMEOUT seconds (libpq's minimum is 2) and lags at most REPLICA_MAX_LAG_SECONDS; its lag is
# asked at most every REPLICA_CHECK_SECONDS. Everything that writes, and what reads its own write, uses the primary.
REPLICA_MAX_LAG_SECONDS = env_float("REPLICA_MAX_LAG_SECONDS", 30.0)
REPLICA_CHECK_SECONDS = env_float("REPLICA_CHECK_SECONDS", 5.0)
REPLICA_CONNECT_TIMEOUT = env_int("REPLICA_CONNECT_TIMEOUT", 2)
DATABASE_REPLICAS = []
for _number, _url in enumerate(env_list("DATABASE_REPLICA_URL"), start=1):
    _replica = dj_database_url.parse(_url, conn_max_age=DATABASES["default"]["CONN_MAX_AGE"])
    if not _replica["ENGINE"].endswith("postgresql") or not DATABASES["default"]["ENGINE"].endswith("postgresql"):
        raise ImproperlyConfigured("DATABASE_REPLICA_URL: replicas are PostgreSQL standbys of a PostgreSQL primary")
    _replica["OPTIONS"] = {
        **DATABASES["default"]["OPTIONS"],
        "connect_timeout": REPLICA_CONNECT_TIMEOUT,
        **_replica.get("OPTIONS", {}),  # the URL's own (sslmode=…) win
    }
    # Tests run on the default database: the alias points at its test database and is never created or flushed.
    _replica["TEST"] = {"MIRROR": "default"}
    DATABASES[f"replica{_number}"] = _replica
    DATABASE_REPLICAS.append(f"replica{_number}")
if "pytest" in sys.modules:
    # The suite's tests run inside a transaction of the default connection, which a replica's connection cannot see;
    # tests/replica reads a real streaming replica on purpose.
    DATABASE_REPLICAS = []
DATABASE_ROUTERS = ["cases.core.routing.ReplicaRouter"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes first: a locked-out account or address is refused before its password is even checked.
AUTHENTICATION_BACKENDS = ["portal.security.LoginThrottle", "django.contrib.auth.backends.ModelBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "cases:today"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "vi"
# Vietnamese for the admin pages of django-axes and django-simple-history, which ship none.
LOCALE_PATHS = [BASE_DIR / "locale"]
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
# Served: names with a content hash (cached for a year, `immutable`) and gzip copies, both made by collectstatic,
# which `make run` runs. DEBUG and the tests read the source folders as they are (STATIC_HASHED=false).
STATIC_HASHED = env_bool("STATIC_HASHED", not DEBUG)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if STATIC_HASHED
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Without collectstatic (DEBUG, tests) files come from the source folders; otherwise only the collected ones,
# which carry their gzip copies.
WHITENOISE_USE_FINDERS = not STATIC_HASHED
# Uploaded files (imports, explanation attachments) live outside the web root.
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
# Behind nginx: the URL prefix of an `internal` location aliasing MEDIA_ROOT (e.g. "/_media/"). The list's large
# downloads are then sent by nginx once the portal checked who asks (X-Accel-Redirect), so a file of gigabytes
# never holds a gunicorn worker past its timeout. Empty: the portal sends the file itself.
MEDIA_ACCEL_REDIRECT = env_str("MEDIA_ACCEL_REDIRECT", "")

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# --- Background jobs' limits (README, "Chạy thật") ---------------------------------------------------------------
# Every task: a soft limit (the task stops cleanly and its job says so), then a hard one (the worker's child is killed).
JOB_SOFT_TIME_LIMIT = env_int("JOB_SOFT_TIME_LIMIT", 30 * 60)
JOB_TIME_LIMIT = env_int("JOB_TIME_LIMIT", JOB_SOFT_TIME_LIMIT + 120)
# A running job's heartbeat; without one for JOB_LOST_AFTER seconds its worker died and the job is marked failed.
JOB_HEARTBEAT_SECONDS = env_float("JOB_HEARTBEAT_SECONDS", 10.0)
JOB_LOST_AFTER = env_int("JOB_LOST_AFTER", 120)
# A job sent to the queue and not taken for this long: its message was lost (a broker restarted without its data, or
# no worker for hours); it is marked failed with «Thử lại». A message that turns up later is refused (its job ended).
JOB_QUEUED_LOST_AFTER = env_int("JOB_QUEUED_LOST_AFTER", 6 * 3600)
# The dossier list's downloads above this many rows are written by a background job (cases.exchange.export_jobs),
# whose file is kept this many hours for its owner to download.
EXPORT_INLINE_MAX_ROWS = env_int("EXPORT_INLINE_MAX_ROWS", 50_000)
EXPORT_KEEP_HOURS = env_int("EXPORT_KEEP_HOURS", 72)
# After a bulk job (import, flag_overdue, seed_demo) of ANALYZE_AFTER rows or more, a VACUUM of its tables once it
# committed (cases.core.copy): "auto" only where autovacuum will not come (turned off for the server or the
# table), "on" always, "off" never.
BULK_VACUUM = env_str("BULK_VACUUM", "auto")
if BULK_VACUUM not in ("auto", "on", "off"):
    raise ImproperlyConfigured("BULK_VACUUM must be auto, on or off")
# An unacknowledged message (its worker died) is delivered again after this; longer than any task may run, or a
# task still running would be started twice.
CELERY_VISIBILITY_TIMEOUT = env_int("CELERY_VISIBILITY_TIMEOUT", JOB_TIME_LIMIT + 300)

# --- Production: HTTPS, cookies, idle sessions, login throttling (README, "Chạy thật: cấu hình") -----------------
# Behind a TLS proxy (nginx, Caddy …) that sets X-Forwarded-Proto and appends the client to X-Forwarded-For. Only
# set it when such a proxy is the sole way in: otherwise a client could claim HTTPS or another address itself.
BEHIND_TLS_PROXY = env_bool("BEHIND_TLS_PROXY", False)
if BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEVELOPMENT)
# A load balancer or a monitor may ask for health over plain HTTP on the private side of the proxy.
SECURE_REDIRECT_EXEMPT = [r"^suc-khoe/$"]
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEVELOPMENT)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEVELOPMENT)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEVELOPMENT else 365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)

# Idle timeout: activity pushes the expiry forward (portal.security.IdleTimeout, at most one write a minute), so a
# session ends after this long without a request.
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_MINUTES", 30) * 60

# django-axes: after AXES_FAILURE_LIMIT wrong passwords for one account from one address, that pair is refused for
# AXES_COOLOFF_MINUTES; an administrator unlocks it in /quan-tri/ (Lần đăng nhập sai). Per pair by default, because
# a commune's officers share one address (locking it would lock the whole desk) and locking an account alone would
# let anyone lock out an officer whose username they know. AXES_LOCKOUT_PARAMETERS widens it, e.g.
# "username+ip_address,ip_address" also locks an address that tries many accounts.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [
    part.split("+") if "+" in part else part for part in env_list("AXES_LOCKOUT_PARAMETERS", ["username+ip_address"])
]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "portal.security.lockout_response"
AXES_CLIENT_IP_CALLABLE = "portal.security.client_ip"
AXES_VERBOSE = False
# Every wrong password stays readable in the admin (Nhật ký đăng nhập sai), even after an unlock.
AXES_ENABLE_ACCESS_FAILURE_LOG = True

# Change history (django-simple-history) is read in the admin, not replayed: an old version is restored by editing
# the record, so that the change is checked and its effect on open dossiers reported like any other.
SIMPLE_HISTORY_REVERT_DISABLED = True

# Content-Security-Policy (django-csp): scripts, styles and images from the portal itself only; no inline code.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# Redis when REDIS_URL is set; otherwise a broker that needs no server (kombu's filesystem transport).
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    # A Redis that is down or hung must not hold a desk request: fail within seconds, the beat retries the work.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "socket_connect_timeout": 2,
        "socket_timeout": 3,
        "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
    }
    CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 2
    # A cache that is down never takes a page down: it reads as empty, logs once, is tried again every few seconds.
    CACHES = {
        "default": {
            "BACKEND": "cases.core.cache.ForgivingRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"retry_after": env_float("CACHE_RETRY_AFTER", 10.0), "socket_timeout": 0.5},
        }
    }
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
# A message is acknowledged when its task ends, so a worker that dies mid-task leaves it to be delivered again (the
# jobs refuse a second run of finished work: cases.core.jobs). A child killed by the hard limit or the kernel's
# out-of-memory killer is not re-queued (that file would kill the next one too): its job is marked lost and may be
# retried by its owner.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = False
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_TASK_SOFT_TIME_LIMIT = JOB_SOFT_TIME_LIMIT
CELERY_TASK_TIME_LIMIT = JOB_TIME_LIMIT
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
# The result backend retries as briefly: its default (20 tries, up to 1 s apart) held a request ~19 s when Redis was
# down, before the send failed and the job said so.
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"retry_policy": CELERY_TASK_PUBLISH_RETRY_POLICY}
# Times are Asia/Ho_Chi_Minh (CELERY_TIMEZONE). Every job is idempotent, so a run missed or repeated is harmless.
CELERY_BEAT_SCHEDULE = {
    "cases.reap_lost_jobs every minute": {
        "task": "cases.reap_lost_jobs",
        "schedule": crontab(minute="*"),
        "options": {"expires": 55},
    },
    "cases.flag_overdue every 15 minutes": {
        "task": "cases.flag_overdue",
        "schedule": crontab(minute="*/15"),
        "options": {"expires": 14 * 60},  # a backlog after an outage collapses into the next run
    },
    "cases.sweep_exports every hour": {"task": "cases.sweep_exports", "schedule": crontab(minute=40)},
    "cases.flag_overdue after midnight": {"task": "cases.flag_overdue", "schedule": crontab(hour=0, minute=5)},
    "cases.send_pending_messages every minute": {
        "task": "cases.send_pending_messages",
        "schedule": crontab(minute="*"),
        "options": {"expires": 55},
    },
    "reports.freeze_period on the 1st and the 15th": {
        "task": "reports.freeze_period",
        "schedule": crontab(hour=0, minute=30, day_of_month="1,15"),
    },
    "api.purge_idempotency_keys every night": {
        "task": "api.purge_idempotency_keys",
        "schedule": crontab(hour=1, minute=10),
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

# --- Messages to applicants (README "Tin nhắn cho người nộp"; cases/followup/messages.py, channels.py) -----------
# One backend per channel, "channel=backend" comma-separated: console, file (the defaults: nothing leaves the
# machine), sms_gateway, zalo_zns, email (Django's EMAIL_BACKEND), or a dotted path to a class with send(message).
MESSAGE_CHANNELS = ("sms", "zalo", "email")
MESSAGE_BACKENDS = {channel: "file" for channel in MESSAGE_CHANNELS}
for _item in env_list("MESSAGE_BACKENDS"):
    _channel, _, _backend = (part.strip() for part in _item.partition("="))
    if _channel not in MESSAGE_CHANNELS or not _backend:
        raise ImproperlyConfigured(f"MESSAGE_BACKENDS: {_item!r} is not channel=backend (channels: sms, zalo, email)")
    MESSAGE_BACKENDS[_channel] = _backend
MESSAGE_FILE_DIR = Path(env_str("MESSAGE_FILE_DIR", str(VAR_DIR / "messages")))
SMS_GATEWAY_URL = env_str("SMS_GATEWAY_URL")
SMS_GATEWAY_TOKEN = env_str("SMS_GATEWAY_TOKEN")
ZALO_ZNS_URL = env_str("ZALO_ZNS_URL", "https://business.openapi.zalo.me/message/template")
ZALO_ZNS_TOKEN = env_str("ZALO_ZNS_TOKEN")
# The approved ZNS template of each kind of message: "tiep_nhan=…,bo_sung=…,tu_choi=…,co_ket_qua=…,xin_loi=…".
ZALO_ZNS_TEMPLATES = {
    kind.strip(): template.strip()
    for kind, _, template in (item.partition("=") for item in env_list("ZALO_ZNS_TEMPLATES"))
}
if "sms_gateway" in MESSAGE_BACKENDS.values() and not (SMS_GATEWAY_URL and SMS_GATEWAY_TOKEN):
    raise ImproperlyConfigured("MESSAGE_BACKENDS names sms_gateway: set SMS_GATEWAY_URL and SMS_GATEWAY_TOKEN")
if "zalo_zns" in MESSAGE_BACKENDS.values() and not (ZALO_ZNS_TOKEN and ZALO_ZNS_TEMPLATES):
    raise ImproperlyConfigured("MESSAGE_BACKENDS names zalo_zns: set ZALO_ZNS_TOKEN and ZALO_ZNS_TEMPLATES")
if not PUBLIC_URL and set(MESSAGE_BACKENDS.values()) - {"console", "file"}:
    raise ImproperlyConfigured("Messages to applicants carry the look-up's link: set PUBLIC_URL")
# Messages wait for the office's hours (the calendar), except the kinds named urgent (e.g. "bo_sung,xin_loi").
MESSAGES_ONLY_IN_WORKING_HOURS = env_bool("MESSAGES_ONLY_IN_WORKING_HOURS", True)
MESSAGE_URGENT_KINDS = env_list("MESSAGE_URGENT_KINDS")
# A gateway's answer is awaited this long; an attempt that failed is tried again after MESSAGE_RETRY_SECONDS,
# doubling (at most an hour), up to MESSAGE_MAX_ATTEMPTS attempts.
MESSAGE_SEND_TIMEOUT = env_float("MESSAGE_SEND_TIMEOUT", 10.0)
MESSAGE_RETRY_SECONDS = env_int("MESSAGE_RETRY_SECONDS", 60)
MESSAGE_MAX_ATTEMPTS = env_int("MESSAGE_MAX_ATTEMPTS", 6)
# A queued message no task took within this many seconds is sent by the beat's sweep (at most a batch a minute).
MESSAGE_SWEEP_AFTER = env_int("MESSAGE_SWEEP_AFTER", 120)
MESSAGE_SWEEP_BATCH = env_int("MESSAGE_SWEEP_BATCH", 500)

# One configuration (portal/logs.py) for the site, the worker and gunicorn: local time, a 403 on one line.
LOGGING = logs.config(env_str("LOG_LEVEL", "INFO"), TIME_ZONE)
# The worker keeps these handlers instead of installing its own (which stamp another format).
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# django-axes logs every login at INFO; lock-outs (WARNING) are what an operator needs to see.
LOGGING.setdefault("loggers", {})["axes"] = {"level": "WARNING"}

# --- Domain settings (DOMAIN.md) -------------------------------------------------------------
# Office hours: a working day is the sum of these intervals (8 hours by default).
OFFICE_HOURS = [tuple(part.split("-")) for part in env_list("OFFICE_HOURS", ["07:00-11:30", "13:30-17:00"])]
SAME_DAY_CUTOFF = env_str("SAME_DAY_CUTOFF", "15:00")
# "resume": a supplement request stops the clock, the due time moves by the time paused;
# "restart": the whole processing time starts again when the papers arrive.
SUPPLEMENT_CLOCK = env_str("SUPPLEMENT_CLOCK", "resume")
if SUPPLEMENT_CLOCK not in {"resume", "restart"}:
    raise ImproperlyConfigured("SUPPLEMENT_CLOCK must be 'resume' or 'restart'")
# A step taken up and left untouched (no event on its dossier) this many working hours is "hanging" (treo): the
# performer's list (Việc của tôi) shows it apart.
STEP_HANGING_AFTER_HOURS = env_float("STEP_HANGING_AFTER_HOURS", 16.0)
if not 0 < STEP_HANGING_AFTER_HOURS < 10_000:
    raise ImproperlyConfigured("STEP_HANGING_AFTER_HOURS must be a positive number of working hours")
TARGET_ON_TIME_RATE = env_float("TARGET_ON_TIME_RATE", 95.0)
TARGET_ONLINE_RATE = env_float("TARGET_ONLINE_RATE", 70.0)
# Report pages open on the running month once this many of its working days are over; before that, on the month
# just ended (what an office reports on in the first days of a month). reports/figures/periods.py `default`.
REPORT_MONTH_SETTLES_AFTER = env_int("REPORT_MONTH_SETTLES_AFTER", 5)
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

    try:
        _rules = _json.loads(env_str("APPRAISAL_RULES_JSON"))
        APPRAISAL_RULES = [(label, dict(conditions)) for label, conditions in _rules]
    except (ValueError, TypeError) as _exc:
        raise ImproperlyConfigured("APPRAISAL_RULES_JSON must be a JSON list of [label, {conditions}]") from _exc
# Scopes with more units than this are built by a Celery task (reports.build_workbook) instead of streamed.
APPRAISAL_ASYNC_UNITS = env_int("APPRAISAL_ASYNC_UNITS", 50)
# --- END APPRAISAL_RULES ------------------------------------------------------------------------------
# --- BEGIN SERVICE_INDEX_RULES (Decision 766/QĐ-TTg; reports/figures/service_index.py) ---------------------
# Each group: its points (the national portal's weights) and the threshold (%) at which it earns them all; below
# it a group earns rate × points / threshold. Digitisation is result_weight × results digitised among resolved +
# (1 − result_weight) × papers digitised among received. Groups marked measured=False are shown as not measured.
# SERVICE_INDEX_RULES_JSON (a JSON object of the same shape) replaces the default.
SERVICE_INDEX_RULES = {
    "transparency": {"points": 18, "measured": False},
    "timeliness": {"points": 20, "threshold": 100},
    "online": {"points": 12, "threshold": 50},
    "payment": {"points": 10, "measured": False},
    "digitisation": {"points": 22, "threshold": 100, "result_weight": 0.5},
    "satisfaction": {"points": 18, "threshold": 100},
}
if env_str("SERVICE_INDEX_RULES_JSON"):
    import json as _json

    try:
        _groups = _json.loads(env_str("SERVICE_INDEX_RULES_JSON"))
        SERVICE_INDEX_RULES = {key: dict(value) for key, value in _groups.items()}
    except (ValueError, TypeError, AttributeError) as _exc:
        raise ImproperlyConfigured("SERVICE_INDEX_RULES_JSON: a JSON object {group: {points, threshold}}") from _exc
# --- END SERVICE_INDEX_RULES -------------------------------------------------------------------------
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

# --- The API (/api/v1/, issue 15) ---------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.authentication.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.ClientScope"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.ClientRateThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "DATETIME_FORMAT": "iso-8601",
    "COERCE_DECIMAL_TO_STRING": False,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "API Cổng Một cửa",
    "DESCRIPTION": (
        "Hồ sơ thủ tục hành chính cho các hệ thống khác: Cổng dịch vụ công tỉnh, ki-ốt, ứng dụng di động, công cụ báo"
        " cáo. Xác thực bằng tiêu đề `Authorization: Api-Key <khóa>`; lỗi trả về dạng JSON có `error.code`,"
        " `error.message` (tiếng Việt) và `error.field`."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # The documentation page's Swagger UI from the sidecar package (static files), never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # Choice sets that two fields share a name with (`kind` of a unit and of an event, `level` of a unit and of a
    # procedure): each named after its own class.
    "ENUM_NAME_OVERRIDES": {
        "EventKindEnum": "cases.desk.states.EventKind",
        "UnitKindEnum": "cases.catalogue.models.UnitKind",
        "LevelEnum": "cases.catalogue.models.Level",
    },
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "api.schema.error_responses"],
}
# How long a POST's Idempotency-Key is kept (api.idempotency): a retry within it gets the first answer again.
API_IDEMPOTENCY_HOURS = env_int("API_IDEMPOTENCY_HOURS", 24)
