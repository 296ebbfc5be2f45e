"""`make bench`: every benchmark of bench/ in one run, on a PostgreSQL database made for it.

    make bench                                   # 100.000 demo dossiers, 20.000-row exchange: a few minutes
    make bench BENCH_ARGS="--dossiers 1000000 --rows 150000"

The database (`--database`, default postgres://postgres@127.0.0.1:5432/portal_bench) is created when missing,
migrated, given the catalogue (`load_fixtures`) and refilled with demo dossiers: its name must contain "bench", so
that no database whose dossiers matter is emptied. Each script prints its own figures; BENCHMARKS.md quotes them
with their commands. Nothing here asserts a time.
"""

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import dj_database_url

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/portal_bench"


def run(title, *args, env):
    print(f"\n=== {title}: {' '.join(args)}", flush=True)
    began = time.perf_counter()
    subprocess.run([sys.executable, *args], cwd=ROOT, env=env, check=True)
    print(f"=== {title}: {time.perf_counter() - began:.1f} s", flush=True)


def create_database(url):
    """CREATE DATABASE when it is missing (connecting to the server's `postgres` database)."""
    import psycopg2

    config = dj_database_url.parse(url)
    name = config["NAME"]
    connection = psycopg2.connect(
        dbname="postgres", user=config["USER"], host=config["HOST"], port=config["PORT"], password=config["PASSWORD"]
    )
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{name}"')
    connection.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE))
    parser.add_argument("--dossiers", type=int, default=100_000, help="demo dossiers for the seed and dashboard runs")
    parser.add_argument("--rows", type=int, default=20_000, help="rows of the exchange run (import, CSV, XLSX)")
    args = parser.parse_args()
    if "bench" not in dj_database_url.parse(args.database)["NAME"]:
        parser.error("the database's name must contain 'bench': its dossiers are deleted")
    create_database(args.database)
    env = {**os.environ, "DATABASE_URL": args.database}
    run("migrate", "manage.py", "migrate", "--noinput", "--verbosity", "0", env=env)
    run("catalogue", "manage.py", "load_fixtures", env=env)
    run("due times", "bench/due_times.py", env=env)
    # The exchange run deletes the dossiers of the database first; the seed then refills them for the dashboard.
    run("exchange", "bench/exchange.py", "--rows", str(args.rows), env=env)
    run("demo data", "bench/seed.py", "--dossiers", str(args.dossiers), "--fresh", env=env)
    run("dashboard", "bench/dashboard.py", "--unit", "DBD", "--repeat", "5", env=env)


if __name__ == "__main__":
    main()
