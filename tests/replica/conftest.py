"""A real PostgreSQL primary and its streaming replica, of the tests' own, for the read-replica tests.

A `pg_basebackup` of the cluster the suite runs on would copy every database in it — on this shared machine the
benchmark ones too (9 GB: two minutes) — so, for the tests of this folder, the fixture starts two small clusters of
its own on free ports, as the `postgres` OS user: a primary (initdb) holding a copy of the test database
(pg_dump | pg_restore), and a replica made from it with `pg_basebackup -R -X stream`, streaming over a replication
slot. The default database alias points at that primary while these tests run (writes, migrations' data, flushes
all go there) and back afterwards; the replica is the alias `test_replica`. Both clusters are thrown away at the end.

Needs the PostgreSQL server binaries of the suite's server's major version (/usr/lib/postgresql/N/bin, or PG_BIN).
Skipped without them on a laptop; a failure in CI.
"""

import copy
import os
import pwd
import shutil
import subprocess
import tempfile
from contextlib import closing
from pathlib import Path

import psycopg2
import pytest
from django.db import connection, connections

from cases.core import routing
from tests.faults.conftest import free_port
from tests.workers import wait_until

IN_CI = os.environ.get("CI") == "true"
ALIAS = "test_replica"
SUPERUSER = "postgres"


def unavailable(reason):
    if IN_CI:
        pytest.fail(f"{reason} — in CI the read-replica tests must run, never skip")
    pytest.skip(reason)


class Cluster:
    """A throw-away PostgreSQL cluster under `root`, run by the postgres OS user (PostgreSQL refuses root)."""

    def __init__(self, bin_dir, root, name):
        self.bin_dir, self.root = bin_dir, root
        self.data = root / name
        self.log = root / f"{name}.log"
        self.port = free_port()

    def run(self, program, *arguments):
        as_owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        done = subprocess.run(
            [*as_owner, str(self.bin_dir / program), *arguments], capture_output=True, text=True, timeout=300
        )
        if done.returncode != 0:
            log = self.log.read_text()[-2000:] if self.log.exists() else ""
            unavailable(f"{program} {' '.join(arguments)} failed: {done.stderr.strip()} {log}")
        return done

    def start(self, *settings):
        options = [f"-p {self.port}", f"-k {self.root}", "-c listen_addresses=127.0.0.1", "-c fsync=off", *settings]
        self.run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", " ".join(options), "-w", "start")
        return self

    def stop(self):
        self.run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop")

    def connect(self, dbname="postgres"):
        conn = psycopg2.connect(dbname=dbname, user=SUPERUSER, host="127.0.0.1", port=self.port, connect_timeout=2)
        conn.autocommit = True
        return conn

    def ask(self, sql, params=(), dbname="postgres"):
        """The first value of a query's first row."""
        with closing(self.connect(dbname)) as conn, conn.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone()[0]


class Replica(Cluster):
    """The standby, and what a test does to it: wait for it, pause or resume its replay, stop and start it."""

    def __init__(self, bin_dir, root, primary):
        super().__init__(bin_dir, root, "replica")
        self.primary = primary

    def create(self):
        self.run(
            "pg_basebackup", "-h", "127.0.0.1", "-p", str(self.primary.port), "-U", SUPERUSER, "-D", str(self.data),
            "-R", "-X", "stream", "-C", "-S", "test_replica", "--checkpoint=fast", "--no-sync", "--no-manifest",
        )  # fmt: skip
        return self

    def start(self):
        super().start("-c hot_standby=on")
        wait_until(self._answers, f"the replica on port {self.port}")
        return self

    def _answers(self):
        try:
            return self.ask("SELECT pg_is_in_recovery()")
        except psycopg2.Error:
            return False

    def _primary_position(self):
        return self.primary.ask("SELECT pg_current_wal_insert_lsn()::text")

    def wait_replayed(self):
        """Until the replica has replayed everything the primary wrote so far."""
        target = self._primary_position()
        wait_until(lambda: self.ask("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (target,)), "the replay")

    def wait_received(self):
        """Until the replica has received (not necessarily replayed) everything the primary wrote so far."""
        target = self._primary_position()
        wait_until(lambda: self.ask("SELECT pg_last_wal_receive_lsn() >= %s::pg_lsn", (target,)), "the WAL")

    def pause(self):
        self.ask("SELECT pg_wal_replay_pause()::text")
        wait_until(lambda: self.ask("SELECT pg_get_wal_replay_pause_state()") == "paused", "replay to pause")

    def resume(self):
        self.ask("SELECT pg_wal_replay_resume()::text")


def _server_binaries(version_num):
    major = int(version_num) // 10000
    bin_dir = Path(os.environ.get("PG_BIN") or f"/usr/lib/postgresql/{major}/bin")
    programs = ("initdb", "pg_ctl", "pg_basebackup", "pg_dump", "pg_restore")
    missing = [name for name in programs if not (bin_dir / name).exists()]
    if missing:
        unavailable(f"the PostgreSQL {major} server binaries ({', '.join(missing)}) are not in {bin_dir} (set PG_BIN)")
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        unavailable("runuser is needed to run the clusters as the postgres user")
    return bin_dir


def _copy_test_database(source, primary, dump):
    """The suite's test database, schema and rows, into the tests' own primary under the same name."""
    with closing(psycopg2.connect(**source)) as conn, conn.cursor() as cursor:
        cursor.execute(
            "SELECT datcollate, datctype FROM pg_database WHERE datname = current_database()",
        )
        collate, ctype = cursor.fetchone()
    subprocess.run(
        [str(primary.bin_dir / "pg_dump"), "-Fc", "-f", str(dump), "-h", source["host"], "-p", str(source["port"]),
         "-U", source["user"], source["dbname"]],
        check=True, capture_output=True, env={**os.environ, "PGPASSWORD": source.get("password") or ""},
    )  # fmt: skip
    with closing(primary.connect()) as conn, conn.cursor() as cursor:
        cursor.execute(
            f'CREATE DATABASE "{source["dbname"]}" TEMPLATE template0 ENCODING UTF8 LC_COLLATE %s LC_CTYPE %s',
            (collate, ctype),
        )
    subprocess.run(
        [str(primary.bin_dir / "pg_restore"), "-h", "127.0.0.1", "-p", str(primary.port), "-U", SUPERUSER,
         "-d", source["dbname"], "--no-owner", str(dump)],
        check=True, capture_output=True,
    )  # fmt: skip


@pytest.fixture(scope="module")
def replica(django_db_setup, django_db_blocker):
    """The running standby; while this module runs, "default" is its primary and "test_replica" the standby (a test
    mirror: pytest-django never creates, flushes or drops a database through it)."""
    with django_db_blocker.unblock():
        if connection.vendor != "postgresql":
            unavailable("the read-replica tests need PostgreSQL (DATABASE_URL)")
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version_num")
            version = cursor.fetchone()[0]
        connection.close()
    default = connections["default"].settings_dict
    source = {
        "dbname": default["NAME"], "user": default["USER"] or SUPERUSER, "password": default.get("PASSWORD"),
        "host": default.get("HOST") or "127.0.0.1", "port": int(default.get("PORT") or 5432),
    }  # fmt: skip
    bin_dir = _server_binaries(version)
    root = Path(tempfile.mkdtemp(prefix="portal-replica-"))
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        os.chown(root, owner.pw_uid, owner.pw_gid)
    primary = Cluster(bin_dir, root, "primary")
    standby = Replica(bin_dir, root, primary)
    started = []
    try:
        primary.run("initdb", "-D", str(primary.data), "-U", SUPERUSER, "-A", "trust", "-E", "UTF8", "--no-sync")
        started.append(primary.start("-c wal_level=replica", "-c max_wal_senders=4"))
        _copy_test_database(source, primary, root / "test.dump")
        started.append(standby.create().start())
        standby.wait_replayed()
        moved = {"HOST": "127.0.0.1", "PORT": str(primary.port)}
        saved = {key: default.get(key) for key in moved}
        default.update(moved)
        alias = copy.deepcopy(default)
        alias.update(PORT=str(standby.port))
        alias["OPTIONS"] = {**alias.get("OPTIONS", {}), "connect_timeout": 2}
        alias["TEST"] = {**alias.get("TEST", {}), "MIRROR": "default"}
        connections.settings[ALIAS] = alias
        try:
            yield standby
        finally:
            connections["default"].close()
            connections[ALIAS].close()
            del connections[ALIAS]
            del connections.settings[ALIAS]
            default.update(saved)
    finally:
        for cluster in reversed(started):
            cluster.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def routed(replica, settings):
    """The router sends replica-safe reads to the test replica; the lag is asked afresh at each block."""
    settings.DATABASE_REPLICAS = [ALIAS]
    settings.REPLICA_CHECK_SECONDS = 0
    routing.forget_readings()
    replica.wait_replayed()
    yield replica
    replica.resume()
    routing.forget_readings()
    connections[ALIAS].close()
