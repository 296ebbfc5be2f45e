"""python manage.py demo_logins --url URL --worker: the demo logins, printed once the site and the worker answer.

`make run` starts the worker and the web server together; their banners would push the logins printed by
`demo_accounts` off the screen, so they are printed again, last.
"""

import time
import urllib.error
import urllib.request

from celery import current_app
from django.core.management.base import BaseCommand, CommandError

from .demo_accounts import demo_login_rows, write_logins


class Command(BaseCommand):
    help = "In các tài khoản trình diễn khi cổng (và tiến trình Celery) đã sẵn sàng."

    def add_arguments(self, parser):
        parser.add_argument("--url", default="", help="chờ đến khi địa chỉ này trả lời rồi mới in")
        parser.add_argument("--worker", action="store_true", help="chờ cả tiến trình Celery trả lời")
        parser.add_argument("--timeout", type=float, default=120, help="chờ tối đa (giây)")

    def handle(self, *args, url, worker, timeout, **options):
        deadline = time.monotonic() + timeout
        if url:
            self._wait(lambda: _answers(url), deadline, f"Cổng chưa trả lời tại {url}")
        if worker:
            self._wait(lambda: bool(current_app.control.ping(timeout=1)), deadline, "Tiến trình Celery chưa trả lời")
        self.stdout.write("")
        if url:
            self.stdout.write(self.style.SUCCESS(f"Cổng Một cửa đã sẵn sàng: {url}  (Ctrl+C để dừng)"))
        write_logins(self.stdout.write, self.style.WARNING, demo_login_rows())

    @staticmethod
    def _wait(ready, deadline, failure):
        while not ready():
            if time.monotonic() > deadline:
                raise CommandError(f"{failure} sau thời gian chờ.")
            time.sleep(0.5)


def _answers(url):
    try:
        with urllib.request.urlopen(url, timeout=2):  # noqa: S310 — a local address given by `make run`
            return True
    except urllib.error.HTTPError:
        return True  # any HTTP answer means the server listens
    except (urllib.error.URLError, OSError):
        return False
