"""The API on the real server (issue 15): receiving dossiers with concurrent clients, and reading the change feed.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_hapi2_bench .venv/bin/python bench/api_load.py receive \
        [--dossiers 10000] [--clients 20] [--workers 4] [--threads 2]
    DATABASE_URL=… .venv/bin/python bench/api_load.py feed [--limit 1000] [--workers 4] [--threads 2] [--explain]

(Not bench/api.py: gunicorn runs with bench/ on its path, where a module `api` would hide the portal's package.)

Starts gunicorn on a free loopback port with production settings (as bench/load.py does) serving the timed WSGI
application (bench/timed_wsgi.py: server time measured inside the worker, from the call to the last byte), and
creates a client of the whole installation (a key with every scope, the API_CLIENT role at every root unit; revoked
at the end).

receive: `--clients` threads POST `--dossiers` dossiers in all to /api/v1/dossiers/, each with its own
Idempotency-Key, {"unit", "procedure", "applicant_name", "applicant_phone", "channel"} at communes valid today and
their level's procedures. Prints p50/p95/p99 server time, throughput, and the bare SQL limit: the same number of
INSERTs of a dossier and its event, one transaction each, in one loop (bench/load.py's `bare_insert`). The run's
dossiers are removed afterwards (their applicant names carry load.MARK).

feed: one consumer reads /api/v1/events/ from the start to the end, `--limit` events a page. Prints the total time,
p50/p95 per page (client and server), and the bare keyset query (the same rows, joined to the dossier's code and the
author's name, page by page through psycopg) as the limit. `--explain`: the plan of the feed's query on a page in
the middle. Nothing is asserted.
"""

import argparse
import http.client
import json
import os
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load import MARK, ROOT, bare_insert, clean_up, free_port, percentile  # noqa: E402 - bench/ on the path first

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("PORTAL_DEV", "1")  # this process sets up the client; the server runs as production


def bench_client():
    """(client, key): a client with every scope, reading and receiving for every unit of the installation."""
    import django

    django.setup()
    from api.clients import create_client
    from cases.models import Membership, Role, Unit

    roots = list(Unit.objects.filter(parent__isnull=True).order_by("code"))
    client, key = create_client(
        name=f"Đo tải API {time.strftime('%Y%m%d-%H%M%S')}", unit=roots[0], may_receive=True, may_act=True,
        rate="1000000/min",
    )  # fmt: skip
    # The model gives the role at one unit; a client of a whole installation holds it at every root.
    for root in roots[1:]:
        Membership.objects.create(user=client.account, unit=root, role=Role.API_CLIENT)
    return client, key


def retire(client):
    from api.models import ApiCall, IdempotentRequest

    IdempotentRequest.objects.filter(client=client).delete()
    ApiCall.objects.filter(client=client).delete()
    client.revoked = True
    client.save()


class Server:
    """gunicorn with the timed application, production settings, on a free loopback port."""

    def __init__(self, workers, threads):
        self.workers, self.threads = workers, threads
        self.port = free_port()
        self.log = Path(tempfile.mkdtemp()) / "timing.log"

    def __enter__(self):
        env = {
            **os.environ, "DJANGO_DEBUG": "0", "SECRET_KEY": secrets.token_urlsafe(50), "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "0", "BENCH_TIMING_LOG": str(self.log), "LOG_LEVEL": "WARNING",
        }  # fmt: skip
        env.pop("PORTAL_DEV", None)
        command = [
            str(ROOT / ".venv/bin/gunicorn"), "timed_wsgi:application", "--pythonpath", str(ROOT / "bench"),
            "--bind", f"127.0.0.1:{self.port}", "--workers", str(self.workers), "--timeout", "300",
            "--backlog", "2048",
        ]  # fmt: skip
        if self.threads > 1:
            command += ["--worker-class", "gthread", "--threads", str(self.threads)]
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.DEVNULL)
        for _ in range(240):
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                connection.request("GET", "/api/v1/client/")
                connection.getresponse().read()
                break
            except OSError:
                time.sleep(0.5)
        self.log.write_text("")
        return self

    def __exit__(self, *exc):
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=60)

    def timings(self, method, prefix):
        """Server milliseconds of the requests `method` to paths starting with `prefix`, and their statuses."""
        values, statuses = [], {}
        for line in self.log.read_text().splitlines():
            verb, path, status, micros = line.split(" ")
            if verb == method and path.startswith(prefix):
                values.append(int(micros) / 1000)
                statuses[status] = statuses.get(status, 0) + 1
        return values, statuses


class Caller:
    """One client's connection (kept alive), with its key."""

    def __init__(self, port, key):
        self.port, self.headers = port, {"Authorization": f"Api-Key {key}", "Content-Type": "application/json"}
        self.connection = None

    def call(self, method, path, body=None, headers=None):
        for attempt in range(3):
            if self.connection is None:
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
            try:
                payload = json.dumps(body).encode() if body is not None else None
                self.connection.request(method, path, body=payload, headers={**self.headers, **(headers or {})})
                response = self.connection.getresponse()
                return response.status, response.read()
            except (http.client.HTTPException, OSError):
                self.connection.close()
                self.connection = None
                if attempt == 2:
                    raise


def summary(values):
    if not values:
        return "no values"
    return f"p50 {statistics.median(values):.1f} ms, p95 {percentile(values, 0.95):.1f} ms, " + (
        f"p99 {percentile(values, 0.99):.1f} ms (n={len(values)})"
    )


# --- (a) receiving ------------------------------------------------------------------------------------------------
def receipt_plan(count):
    """(unit code, procedure code) for each receipt: communes valid today and their level's active procedures."""
    import random

    from django.db.models import Q
    from django.utils import timezone

    from cases.models import Level, Procedure, Unit

    today = timezone.localdate()
    communes = list(
        Unit.objects.filter(level=Level.COMMUNE)
        .filter(
            Q(valid_from__isnull=True) | Q(valid_from__lte=today), Q(valid_to__isnull=True) | Q(valid_to__gte=today)
        )
        .order_by("code")
        .values_list("code", flat=True)
    )
    procedures = list(Procedure.objects.filter(active=True, level=Level.COMMUNE).values_list("code", flat=True))
    rng = random.Random(15)
    return [(communes[n % len(communes)], rng.choice(procedures)) for n in range(count)]


def receive(args):
    client, key = bench_client()
    plan = receipt_plan(args.dossiers)
    results, lock = {"created": 0, "other": {}}, threading.Lock()
    try:
        with Server(args.workers, args.threads) as server:
            start = threading.Event()

            def run(share):
                caller = Caller(server.port, key)
                start.wait()
                for number, (unit, procedure) in share:
                    body = {
                        "unit": unit, "procedure": procedure, "applicant_name": f"{MARK} API {number}",
                        "applicant_phone": f"09{number:08d}", "channel": "truc_tiep",
                    }  # fmt: skip
                    status, answer = caller.call(
                        "POST", "/api/v1/dossiers/", body, {"Idempotency-Key": f"bench-{number}-{secrets.token_hex(8)}"}
                    )
                    with lock:
                        if status == 201:
                            results["created"] += 1
                        else:
                            results["other"][status] = results["other"].get(status, 0) + 1
                            results.setdefault("sample", answer[:300])

            numbered = list(enumerate(plan))
            threads = [threading.Thread(target=run, args=(numbered[n :: args.clients],)) for n in range(args.clients)]
            for thread in threads:
                thread.start()
            began = time.perf_counter()
            start.set()
            for thread in threads:
                thread.join()
            wall = time.perf_counter() - began
        server_ms, statuses = server.timings("POST", "/api/v1/dossiers/")
        print(f"server: gunicorn {args.workers} workers × {args.threads} threads; {args.clients} clients")
        print(f"receive: {results['created']} dossiers created in {wall:.1f} s = {results['created'] / wall:.1f}/s; "
              f"other answers {results['other']} {results.get('sample', b'')!r}")  # fmt: skip
        print(f"server time per POST: {summary(server_ms)}; statuses {statuses}")
        bare_began = time.perf_counter()
        bare = bare_insert(args.dossiers)
        bare_wall = time.perf_counter() - bare_began
        print(f"bare SQL: {args.dossiers} INSERTs of a dossier and its event, one transaction each, one loop: "
              f"{summary(bare)}, {args.dossiers / bare_wall:.0f}/s")  # fmt: skip
        print(f"ratio: p50 server {statistics.median(server_ms) / statistics.median(bare):.0f}× bare; "
              f"throughput bare {args.dossiers / bare_wall / (results['created'] / wall):.1f}× the API's")  # fmt: skip
    finally:
        clean_up()
        retire(client)


# --- (b) the change feed ------------------------------------------------------------------------------------------
BARE_PAGE = """
    SELECT e.id, e.txid::text, e.kind, e.at, e.recorded_at, e.before, e.after, e.reason, e.warning, d.code,
           u.first_name, u.last_name, u.username
    FROM cases_dossierevent e JOIN cases_dossier d ON d.id = e.dossier_id LEFT JOIN auth_user u ON u.id = e.by_id
    WHERE (e.txid, e.id) > (%s::xid8, %s) AND e.txid < %s::xid8
    ORDER BY e.txid, e.id LIMIT %s
"""


def bare_feed(limit):
    """The keyset query alone, page by page to the end: (page milliseconds, rows)."""
    from django.db import connection

    from cases.desk.feed import horizon

    timings, rows, position = [], 0, ("0", 0)
    with connection.cursor() as cursor:
        while True:
            began = time.perf_counter()
            cursor.execute(BARE_PAGE, [*position, str(horizon()), limit])
            page = cursor.fetchall()
            timings.append((time.perf_counter() - began) * 1000)
            if not page:
                return timings, rows
            rows += len(page)
            position = (page[-1][1], page[-1][0])


def explain(client, limit):
    """The plan of the feed's query for the bench client on a page in the middle of the table."""
    from django.db import connection

    from cases.desk import feed
    from cases.desk.models import DossierEvent

    middle = DossierEvent.objects.order_by("txid", "id").values_list("txid", "id")[DossierEvent.objects.count() // 2]
    captured = []
    with connection.execute_wrapper(lambda execute, sql, params, many, context: captured.append((sql, params))
                                    or execute(sql, params, many, context)):  # fmt: skip
        feed.events_after(client.account, feed.Position(*middle), limit)
    sql, params = captured[-1]
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        print("\n".join(line for (line,) in cursor.fetchall()))


def read_feed(args):
    client, key = bench_client()
    try:
        if args.explain:
            explain(client, args.limit)
        with Server(args.workers, args.threads) as server:
            caller, after, pages, events, client_ms = Caller(server.port, key), "", 0, 0, []
            began = time.perf_counter()
            while True:
                query = urllib.parse.urlencode({"limit": args.limit, **({"after": after} if after else {})})
                started = time.perf_counter()
                status, body = caller.call("GET", f"/api/v1/events/?{query}")
                client_ms.append((time.perf_counter() - started) * 1000)
                if status != 200:
                    raise SystemExit(f"GET /api/v1/events/ {status}: {body[:300]!r}")
                page = json.loads(body)
                pages, events, after = pages + 1, events + len(page["results"]), page["next"]
                if not page["more"]:
                    break
            wall = time.perf_counter() - began
        server_ms, _ = server.timings("GET", "/api/v1/events/")
        print(f"server: gunicorn {args.workers} workers × {args.threads} threads; one consumer, limit {args.limit}")
        print(f"feed: {events} events in {pages} pages, {wall:.1f} s = {events / wall:.0f} events/s")
        print(f"per page, client: {summary(client_ms)}")
        print(f"per page, server: {summary(server_ms)}")
        bare_began = time.perf_counter()
        bare, rows = bare_feed(args.limit)
        bare_wall = time.perf_counter() - bare_began
        print(f"bare keyset SQL: {rows} rows in {len(bare)} pages, {bare_wall:.1f} s; per page {summary(bare)}")
        p95_ratio = percentile(server_ms, 0.95) / percentile(bare, 0.95)
        print(f"ratio: total {wall / bare_wall:.1f}×, p95 page server {p95_ratio:.1f}× bare")
    finally:
        retire(client)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["receive", "feed"])
    parser.add_argument("--dossiers", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--limit", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args()
    subprocess.run(["uptime"], check=False)
    (receive if args.what == "receive" else read_feed)(args)
    subprocess.run(["uptime"], check=False)


if __name__ == "__main__":
    main()
