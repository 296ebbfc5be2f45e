"""What `make run` shows a newcomer: static files hashed, compressed and cached; an icon; logs in one time zone,
a refused request on one line; the demo logins printed once the site answers."""

import logging
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from portal.logs import LocalTimeFormatter

ROOT = Path(__file__).resolve().parents[2]
HASHED = {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}


@pytest.fixture
def collected(settings, tmp_path):
    """The static files as `make run` serves them: collected with hashed names and gzip copies."""
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = {**settings.STORAGES, "staticfiles": HASHED}
    settings.WHITENOISE_USE_FINDERS = False
    call_command("collectstatic", interactive=False, verbosity=0)
    return settings.STATIC_ROOT


def test_static_files_are_served_hashed_gzipped_and_cached_for_a_year(collected, db):
    client = Client()  # its middleware (WhiteNoise) is built on the first request, with the settings above
    page = client.get("/dang-nhap/").content.decode()
    css = re.search(r'href="(/static/css/portal\.[0-9a-f]{12}\.css)"', page).group(1)

    response = client.get(css, HTTP_ACCEPT_ENCODING="gzip, deflate")

    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    assert "max-age=315360000" in response["Cache-Control"] and "immutable" in response["Cache-Control"]


def test_every_page_links_an_icon_and_favicon_ico_is_found(collected, db):
    client = Client()
    page = client.get("/dang-nhap/").content.decode()
    icon = re.search(r'<link rel="icon" href="(/static/favicon\.[0-9a-f]{12}\.ico)"', page).group(1)

    asked = client.get("/favicon.ico")  # what browsers ask for pages without the link (admin, plain errors)

    assert asked.status_code == 302 and asked["Location"] == icon
    served = client.get(icon)
    assert served.status_code == 200
    assert b"".join(served.streaming_content)[:4] == b"\x00\x00\x01\x00"  # an ICO file


def test_a_refused_request_is_logged_on_one_line_in_vietnam_time(client, cast, caplog):
    client.force_login(cast["office"])
    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert client.get("/tiep-nhan/").status_code == 403

    record = next(r for r in caplog.records if r.name == "django.request")
    line = LocalTimeFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s").format(record)
    assert record.exc_info is None
    assert "\n" not in line and "Traceback" not in line
    assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\+07:00 WARNING django\.request: Forbidden", line)


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_gunicorn_writes_its_own_lines_and_the_sites_in_vietnam_time_even_on_a_utc_machine():
    port = _free_port()
    env = {**os.environ, "TZ": "UTC", "STATIC_HASHED": "false"}
    gunicorn = Path(sys.executable).with_name("gunicorn")
    server = subprocess.Popen(
        [str(gunicorn), "portal.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1", "--access-logfile", "-"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        for _ in range(120):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/dang-nhap/", timeout=2) as response:
                    assert response.status == 200
                break
            except OSError:
                time.sleep(0.25)
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0]
    lines = [line for line in output.splitlines() if re.match(r"\d{4}-\d\d-\d\d ", line)]
    assert any("gunicorn.error: Listening at" in line for line in lines), output
    assert any('gunicorn.access: 127.0.0.1 "GET /dang-nhap/ HTTP/1.1" 200' in line for line in lines), output
    assert all(re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\+07:00 ", line) for line in lines), output
    assert "+0000" not in output


def test_the_demo_logins_are_printed_last_once_the_site_answers(live_server):
    call_command("load_fixtures", stdout=StringIO())
    call_command("demo_accounts", stdout=StringIO())
    out = StringIO()

    call_command("demo_logins", url=f"{live_server.url}/dang-nhap/", stdout=out)

    lines = out.getvalue().strip().splitlines()
    assert f"Cổng Một cửa đã sẵn sàng: {live_server.url}/dang-nhap/" in lines[0]
    table = lines[[line.startswith("---") for line in lines].index(True) + 1 :]
    assert table[0].split()[:2] == ["motcua.puhong", "motcua@2026"]
    assert {"chuyenvien.puhong", "lanhdao.puhong"} <= {line.split()[0] for line in table}
    assert table[-1].startswith("quantri ") and table[-1] == lines[-1]
    # A login that moved to the merged commune on 1/7/2025 is listed with both units.
    assert [line.split()[0] for line in table].count("motcua.puhong") == 2


def test_the_demo_logins_say_so_when_the_site_never_answers(db):
    with pytest.raises(CommandError, match="Cổng chưa trả lời tại http://127.0.0.1:"):
        call_command("demo_logins", url=f"http://127.0.0.1:{_free_port()}/", timeout=0, stdout=StringIO())
