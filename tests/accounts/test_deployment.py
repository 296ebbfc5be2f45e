"""Production settings: no start without a secret key, `check --deploy` clean, CSP, password rules, idle sessions,
`make run` on loopback."""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.core.management.utils import get_random_secret_key
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

BASE_DIR = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DJANGO_DEBUG": "0",
    "PORTAL_DEV": "0",
    "ALLOWED_HOSTS": "motcua.dienbien.gov.vn",
    "CSRF_TRUSTED_ORIGINS": "https://motcua.dienbien.gov.vn",
    "BEHIND_TLS_PROXY": "1",
}


def manage(*args, **env):
    # Start from this process's environment without what the suite sets for itself (the browser tests allow async
    # unsafe ORM calls, which check --deploy rightly warns about).
    environment = {
        key: value for key, value in os.environ.items() if key not in ("SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=environment, capture_output=True, text=True, timeout=120
    )


def test_production_without_a_secret_key_refuses_to_start_and_says_why():
    result = manage("check", **PRODUCTION)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "Chưa đặt SECRET_KEY" in result.stderr and "SECRET_KEY is not set" in result.stderr


@pytest.mark.parametrize("marker", [{"PORTAL_DEV": "1"}, {"DJANGO_DEBUG": "1", "PORTAL_DEV": "0"}])
def test_development_runs_without_a_key(marker):
    # `make run`, `make test` and CI set PORTAL_DEV=1 (Makefile); DJANGO_DEBUG=1 is development too.
    result = manage("check", **marker)
    assert result.returncode == 0, result.stderr


def test_check_deploy_gives_no_warning_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", SECRET_KEY=get_random_secret_key(), **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_production_settings_are_secure_by_default():
    code = (
        "from django.conf import settings as s; "
        "print(s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, "
        "s.SECURE_PROXY_SSL_HEADER, s.SESSION_COOKIE_AGE)"
    )
    result = manage("shell", "--no-imports", "-c", code, SECRET_KEY=get_random_secret_key(), **PRODUCTION)
    assert result.stdout.split() == [
        "True",
        "True",
        "True",
        "31536000",
        "('HTTP_X_FORWARDED_PROTO',",
        "'https')",
        "1800",
    ]


def test_every_page_carries_a_content_security_policy(client, cast):
    policy = client.get("/dang-nhap/")["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    client.force_login(cast["admin"])
    assert client.get("/quan-tri/")["Content-Security-Policy"] == policy


def new_account(password):
    return {
        "username": "motcua.moi2026",
        "password1": password,
        "password2": password,
        "usable_password": "true",
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
    }


@pytest.mark.parametrize(
    "password, because",
    [
        ("motcua.moi2026", "too like the username"),
        ("Ab1!x", "too short"),
        ("password123", "too common"),
        ("2026041977123", "all digits"),
    ],
)
def test_the_admin_refuses_weak_passwords_for_a_new_account(client, cast, password, because):
    client.force_login(cast["admin"])
    response = client.post(
        reverse("admin:auth_user_add"),
        new_account(password),
    )
    assert response.status_code == 200, because
    assert response.context["adminform"].form.errors["password2"], because
    assert not cast["admin"].__class__.objects.filter(username="motcua.moi2026").exists()


def test_a_strong_password_is_accepted(client, cast):
    client.force_login(cast["admin"])
    password = "Tre-xanh-Dien-Bien-47"
    response = client.post(
        reverse("admin:auth_user_add"),
        new_account(password),
    )
    assert response.status_code == 302, response.context["adminform"].form.errors


def test_a_session_ends_after_thirty_idle_minutes(client, cast):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.force_login(cast["desk_pu_hong"])
        assert client.get("/").status_code == 200
    with time_machine.travel(start + timedelta(minutes=31), tick=False):
        response = client.get("/")
        assert response.status_code == 302 and response["Location"].startswith("/dang-nhap/")


def test_activity_keeps_the_session_open(client, cast):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.force_login(cast["desk_pu_hong"])
    for minutes in (20, 40, 60, 80):
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            assert client.get("/").status_code == 200, f"logged out after {minutes} minutes of use"


def test_an_idle_session_is_written_at_most_once_a_minute(client, cast):
    client.force_login(cast["desk_pu_hong"])
    client.get("/ho-so/")
    # A second page within the minute: the session is read, not written again.
    with CaptureQueriesContext(connection) as queries:
        client.get("/ho-so/")
    assert not [q for q in queries.captured_queries if "django_session" in q["sql"] and "UPDATE" in q["sql"]]


@pytest.mark.parametrize("host, expected", [(None, "127.0.0.1:8000"), ("0.0.0.0", "0.0.0.0:8000")])
def test_make_run_listens_on_loopback_unless_told_otherwise(host, expected):
    args = ["make", "-n", "run"] + ([f"HOST={host}"] if host else [])
    environment = {key: value for key, value in os.environ.items() if key not in ("HOST", "PORT")}
    output = subprocess.run(args, cwd=BASE_DIR, env=environment, capture_output=True, text=True, check=True).stdout
    assert f"--bind {expected}" in output


pytestmark = pytest.mark.django_db
