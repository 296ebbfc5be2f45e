"""Issue 10, item 3: `pip install -r requirements.txt` alone (no dev requirements) gives a worker that starts
against Redis and runs a task. A fresh venv is made and installed (pip's cache and the configured index), then
`celery -A portal worker` from it answers `cases.ping` sent through Redis. About half a minute with a warm cache."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.workers import database_url, make_app

BASE_DIR = Path(__file__).resolve().parents[2]


@pytest.mark.install
@pytest.mark.services
@pytest.mark.django_db
def test_a_runtime_only_install_starts_a_worker_that_runs_a_task(tmp_path, redis_url):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", "requirements.txt"],
        cwd=BASE_DIR, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert install.returncode == 0, install.stderr[-4000:]
    consistent = subprocess.run([str(python), "-m", "pip", "check"], capture_output=True, text=True, timeout=120)
    assert consistent.returncode == 0, consistent.stdout
    # Nothing of the dev requirements came along: this is the production install.
    assert subprocess.run([str(python), "-c", "import pytest"], capture_output=True).returncode != 0

    queue = f"install-check-{uuid.uuid4().hex[:8]}"  # this worker alone takes the task
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "REDIS_URL": redis_url,
        "PATH": f"{venv / 'bin'}:/usr/bin:/bin",
    }
    env.pop("PYTHONPATH", None)
    log_path = tmp_path / "worker.log"
    with open(log_path, "wb") as log:
        worker = subprocess.Popen(
            [str(venv / "bin" / "celery"), "-A", "portal", "worker", "--pool=solo", "--without-mingle",
             "--without-gossip", "-Q", queue, f"--hostname=install-check-{queue}@%h", "--loglevel=INFO"],
            cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    app = make_app(redis_url, "portal-install-check")
    try:
        result = app.send_task("cases.ping", queue=queue)
        try:
            answer = result.get(timeout=120)
        except Exception:
            worker.poll()
            pytest.fail(f"The worker did not answer (exit code {worker.returncode}):\n{log_path.read_text()[-4000:]}")
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(timeout=30)
        app.close()

    assert answer == "pong"
    checked = subprocess.run(
        [str(python), "manage.py", "check"], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )
    assert checked.returncode == 0, checked.stderr[-4000:]
    wsgi = subprocess.run(
        [str(python), "-c", "import gunicorn.app.wsgiapp, portal.wsgi"], cwd=BASE_DIR, env=env, capture_output=True,
        text=True, timeout=120,
    )  # fmt: skip
    assert wsgi.returncode == 0, wsgi.stderr[-4000:]
