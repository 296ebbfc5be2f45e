"""Load on the real server: desk sessions receiving dossiers and office sessions reading the dashboard at once.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_bench1m .venv/bin/python bench/load.py \
        [--desks 50] [--offices 10] [--receipts 20] [--reads 10] [--workers 5] [--threads 1]

Starts gunicorn on a free loopback port with production settings (a key, DEBUG off, no HTTP→HTTPS redirect since
there is no TLS proxy on loopback), logs in `--desks` desk officers and `--offices` office users (accounts
`bench.desk01`… and `bench.office01`… are created at units valid today), and runs them all at once:
- a desk session, `--receipts` times: the receipt form, the receipt POST (automatic code), the printed receipt;
  every fifth time also Hôm nay and the dossier list;
- an office session, `--reads` times: the dashboard of its province, Hôm nay, the dossier list.

Server time is measured inside the worker (bench/timed_wsgi.py: from the worker calling the application to the last
byte of the response), so the client's queue and the listen backlog are not in it. Prints p50/p95/p99 per page,
errors, refused receipts and duplicate codes, and the bare INSERT of the same rows as the limit to compare the
receipt with. Nothing is asserted.
"""

import argparse
import http.cookiejar
import os
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("PORTAL_DEV", "1")  # this process only sets up accounts; the server runs as production

PASSWORD = "tai-thu-" + "x" * 8
MARK = "Tải thử"  # applicants of this run carry it, so the run's dossiers can be counted and removed
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def accounts(desks, offices):
    """Bench accounts at units valid today: desks round-robin over the communes, offices over the provinces."""
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.db.models import Q
    from django.utils import timezone

    from cases.models import Level, Membership, Procedure, Role, Unit

    today = timezone.localdate()
    valid = Unit.objects.filter(Q(valid_from__isnull=True) | Q(valid_from__lte=today)).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=today)
    )
    communes = list(valid.filter(level=Level.COMMUNE).order_by("code"))
    provinces = list(valid.filter(parent__isnull=True).order_by("code"))
    procedures = list(Procedure.objects.filter(active=True, level=Level.COMMUNE).values_list("pk", flat=True))
    users = get_user_model().objects
    hashed = make_password(PASSWORD)
    plan = [(f"bench.desk{n:02d}", communes[n % len(communes)], Role.DESK) for n in range(desks)]
    plan += [(f"bench.office{n:02d}", provinces[n % len(provinces)], Role.OFFICE) for n in range(offices)]
    for username, unit, role in plan:
        user, _ = users.get_or_create(username=username, defaults={"first_name": "Cán bộ", "last_name": "thử tải"})
        user.password, user.is_active = hashed, True
        user.save()
        Membership.objects.filter(user=user).exclude(unit=unit, role=role).update(active=False)
        Membership.objects.update_or_create(user=user, unit=unit, role=role, defaults={"active": True})
    return plan, procedures


class Session:
    def __init__(self, base):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect())

    def request(self, path, data=None):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.base + path, data=body)
        try:
            with self.opener.open(request, timeout=120) as response:
                return response.status, response.headers, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read().decode(errors="replace")

    def form(self, path):
        status, _, page = self.request(path)
        found = CSRF.search(page)
        return status, (found.group(1) if found else "")

    def log_in(self, username):
        _, token = self.form("/dang-nhap/")
        status, headers, _ = self.request(
            "/dang-nhap/", {"csrfmiddlewaretoken": token, "username": username, "password": PASSWORD}
        )
        if status != 302:
            raise RuntimeError(f"{username} could not log in ({status})")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.errors, self.refused, self.received = [], 0, []
        self.ready = threading.Semaphore(0)  # one release per session logged in (or failed to)

    def error(self, what):
        with self.lock:
            self.errors.append(what)


def logged_in(base, username, tally):
    session = Session(base)
    try:
        session.log_in(username)
    except (OSError, RuntimeError) as error:
        tally.error(f"log in: {error}")
        session = None
    tally.ready.release()
    return session


def desk_session(base, username, procedures, receipts, tally, start, rng):
    session = logged_in(base, username, tally)
    start.wait()
    if session is None:
        return
    for number in range(receipts):
        status, token = session.form("/tiep-nhan/")
        if status != 200:
            tally.error(f"GET /tiep-nhan/ {status}")
            continue
        status, headers, page = session.request("/tiep-nhan/", {
            "csrfmiddlewaretoken": token, "procedure": rng.choice(procedures),
            "applicant_name": f"{MARK} {username} {number}", "applicant_phone": f"09{rng.randrange(10**8):08d}",
            "applicant_address": "Bản Thử, xã Thử", "channel": "truc_tiep", "papers": "Tờ khai", "code": "",
        })  # fmt: skip
        if status == 302:
            receipt = headers["Location"]
            tally.received.append(receipt)
            if session.request(receipt)[0] != 200:
                tally.error(f"GET receipt {status}")
        elif status == 200:
            with tally.lock:
                tally.refused += 1
        else:
            tally.error(f"POST /tiep-nhan/ {status}")
        if number % 5 == 4:
            for path in ("/", "/ho-so/"):
                if session.request(path)[0] != 200:
                    tally.error(f"GET {path} {status}")


def office_session(base, username, unit_code, reads, tally, start):
    session = logged_in(base, username, tally)
    start.wait()
    if session is None:
        return
    for _ in range(reads):
        for path in (f"/bao-cao/?don_vi={unit_code}", "/", "/ho-so/"):
            status = session.request(path)[0]
            if status != 200:
                tally.error(f"GET {path} {status}")


PAGES = [
    (re.compile(r"^POST /tiep-nhan/$"), "POST /tiep-nhan/ (receipt)"),
    (re.compile(r"^GET /tiep-nhan/$"), "GET /tiep-nhan/ (form)"),
    (re.compile(r"^GET /ho-so/[^/]+/bien-nhan/$"), "GET /ho-so/<code>/bien-nhan/"),
    (re.compile(r"^GET /bao-cao/$"), "GET /bao-cao/ (dashboard)"),
    (re.compile(r"^GET /$"), "GET / (Hôm nay)"),
    (re.compile(r"^GET /ho-so/$"), "GET /ho-so/ (list)"),
    (re.compile(r"^(GET|POST) /dang-nhap/$"), "log in"),
]


def page_of(method, path):
    line = f"{method} {path}"
    return next((name for pattern, name in PAGES if pattern.match(line)), "other")


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def bare_insert(rows):
    """The limit for the receipt: the same number of dossier rows and their events by plain INSERTs, one transaction
    each, in this process (ms per receipt)."""
    from django.db import connection, transaction

    from cases.models import Dossier, Procedure, Unit

    unit = Unit.objects.filter(code__startswith="DB-").order_by("code").first()
    procedure = Procedure.objects.filter(active=True).first()
    timings = []
    with connection.cursor() as cursor:
        for number in range(rows):
            began = time.perf_counter()
            with transaction.atomic():
                cursor.execute(
                    f"INSERT INTO {Dossier._meta.db_table} (code, procedure_id, unit_id, applicant_name,"
                    " applicant_phone, applicant_id_number, applicant_address, channel, papers, processing_days,"
                    " received_at, due_at,"
                    " due_at_given, state,"
                    " papers_digitized, result_digitized, created_at, updated_at)"
                    " VALUES (%s, %s, %s, %s, '', '', '', 'truc_tiep', '', 1, now(), now() + interval '1 day', false,"
                    " 'dang_giai_quyet', false, false, now(), now()) RETURNING id",
                    [f"BARE-{secrets.token_hex(6).upper()}", procedure.pk, unit.pk, f"{MARK} bare {number}"],
                )
                (pk,) = cursor.fetchone()
                cursor.execute(
                    "INSERT INTO cases_dossierevent (dossier_id, kind, at, recorded_at, before, after, reason, warning)"
                    " VALUES (%s, 'received', now(), now(), '{}', '{}', '', '')",
                    [pk],
                )
            timings.append((time.perf_counter() - began) * 1000)
    return timings


def clean_up():
    from django.db import connection

    with connection.cursor() as cursor:
        # A receipt opens the dossier's first step (cases.desk.process) beside its event.
        for table in ("cases_dossierstep", "cases_dossierevent"):
            cursor.execute(
                f"DELETE FROM {table} WHERE dossier_id IN (SELECT id FROM cases_dossier WHERE applicant_name LIKE %s)",
                [f"{MARK}%"],
            )
        cursor.execute("DELETE FROM cases_dossier WHERE applicant_name LIKE %s", [f"{MARK}%"])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--desks", type=int, default=50)
    parser.add_argument("--offices", type=int, default=10)
    parser.add_argument("--receipts", type=int, default=20, help="receipts per desk session")
    parser.add_argument("--reads", type=int, default=10, help="rounds of pages per office session")
    parser.add_argument("--workers", type=int, default=5, help="gunicorn workers (2 × cores + 1 by default)")
    parser.add_argument("--threads", type=int, default=1, help="threads per worker (>1: the gthread class)")
    parser.add_argument("--keep", action="store_true", help="keep the run's dossiers (default: removed afterwards)")
    args = parser.parse_args()

    import random

    plan, procedures = accounts(args.desks, args.offices)
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, check=True)
    port = free_port()
    log = Path(tempfile.mkdtemp()) / "access.log"
    server_env = {
        **os.environ, "PORTAL_DEV": "", "DJANGO_DEBUG": "0", "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1", "SECURE_SSL_REDIRECT": "0", "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0", "SECURE_HSTS_SECONDS": "0", "AXES_FAILURE_LIMIT": "1000",
        "BENCH_TIMING_LOG": str(log), "LOG_LEVEL": "WARNING",
    }  # fmt: skip
    server_env.pop("PORTAL_DEV")
    command = [
        str(ROOT / ".venv/bin/gunicorn"), "timed_wsgi:application", "--pythonpath", str(ROOT / "bench"),
        "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers), "--timeout", "120", "--backlog", "2048",
    ]  # fmt: skip
    if args.threads > 1:
        command += ["--worker-class", "gthread", "--threads", str(args.threads)]
    server = subprocess.Popen(command, cwd=ROOT, env=server_env, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(base + "/dang-nhap/", timeout=2)
                break
            except OSError:  # refused, reset or timed out while the workers start
                time.sleep(0.5)
        tally, start = Tally(), threading.Event()
        threads = []
        for index, (username, unit, _role) in enumerate(plan):
            if username.startswith("bench.desk"):
                rng = random.Random(index)
                target = (base, username, procedures, args.receipts, tally, start, rng)
                threads.append(threading.Thread(target=desk_session, args=target))
            else:
                threads.append(threading.Thread(target=office_session, args=(base, username, unit.code, args.reads,
                                                                             tally, start)))  # fmt: skip
        for thread in threads:
            thread.start()
        for _ in threads:
            tally.ready.acquire()  # every session has logged in
        log.write_text("")  # the log of the run only, not of the logins
        began = time.perf_counter()
        start.set()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - began
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)

    by_page = defaultdict(list)
    statuses = defaultdict(int)
    for line in log.read_text().splitlines():
        method, path, status, micros = line.split(" ")
        by_page[page_of(method, path)].append(int(micros) / 1000)
        statuses[status[0] + "xx"] += 1
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), count(DISTINCT code) FROM cases_dossier WHERE applicant_name LIKE %s", [f"{MARK}%"]
        )
        rows, distinct = cursor.fetchone()
    bare = bare_insert(200)
    print(f"server: gunicorn, {args.workers} workers × {args.threads} threads; {args.desks} desk + {args.offices} "
          f"office sessions; {wall:.1f} s wall; responses {dict(statuses)}")  # fmt: skip
    print(f"{'page':34} {'n':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    for _, name in [*PAGES, (None, "other")]:
        values = by_page.get(name)
        if values:
            print(f"{name:34} {len(values):6} {statistics.median(values):8.1f} {percentile(values, 0.95):8.1f} "
                  f"{percentile(values, 0.99):8.1f}")  # fmt: skip
    print(f"receipts saved {rows} (distinct codes {distinct}, duplicates {rows - distinct}); refused {tally.refused}; "
          f"errors {len(tally.errors)} {sorted(set(tally.errors))[:5]}")  # fmt: skip
    print(f"bare INSERT of a dossier and its event, one transaction each (same database, this process): "
          f"p50 {statistics.median(bare):.1f} ms, p95 {percentile(bare, 0.95):.1f} ms")  # fmt: skip
    if not args.keep:
        clean_up()


if __name__ == "__main__":
    main()
