"""A throwaway PostgreSQL 15 cluster in a temporary directory on a free loopback port."""

import os
import pwd
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

import psycopg

from . import APP_ROLE_SQL
from .processes import free_port, wait_until

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
SUPERUSER = "postgres"
DATABASE = "users"


def _run_as_postgres():
    # initdb and postgres refuse to run as root.
    if os.geteuid() != 0:
        return []
    return ["runuser", "-u", "postgres", "--"]


class PostgresCluster:
    def __init__(self, processes, password="s3cret-pw", port=None):
        self.processes = processes
        self.password = password
        self.host = "127.0.0.1"
        self.port = port or free_port()
        # Not pytest's tmp_path: that is private to root and the server runs as postgres.
        self.base = Path(tempfile.mkdtemp(prefix="usersvc-pg-"))
        self.data = self.base / "data"
        self.process = None
        self._init()

    def _chown(self, path):
        if os.geteuid() == 0:
            entry = pwd.getpwnam("postgres")
            os.chown(path, entry.pw_uid, entry.pw_gid)

    def _init(self):
        self.base.chmod(0o755)
        self._chown(self.base)
        pwfile = self.base / "pwfile"
        pwfile.write_text(self.password + "\n")
        self._chown(pwfile)
        subprocess.run(
            _run_as_postgres()
            + [PG_BIN / "initdb", "-D", self.data, "-U", SUPERUSER, "--pwfile", pwfile,
               "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8"],
            check=True, capture_output=True,
        )
        pwfile.unlink()
        self.start()
        with psycopg.connect(**self.conninfo(dbname="postgres"), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {DATABASE}")

    def start(self):
        self.process = self.processes.start(
            f"postgres-{self.port}",
            _run_as_postgres()
            + [PG_BIN / "postgres", "-D", self.data, "-p", str(self.port), "-k", self.base,
               "-c", f"listen_addresses={self.host}", "-c", "fsync=off", "-c", "max_connections=200"],
        )
        wait_until(self.accepting, 30, what=f"postgres on port {self.port}")

    def stop(self):
        # SIGINT is PostgreSQL's fast shutdown: clients are disconnected at once.
        self.process.stop(sig=signal.SIGINT)

    def accepting(self):
        self.process.ensure_alive()
        try:
            with psycopg.connect(**self.conninfo(dbname="postgres"), connect_timeout=2):
                return True
        except psycopg.OperationalError:
            return False

    def conninfo(self, dbname=DATABASE):
        return {"host": self.host, "port": self.port, "user": SUPERUSER, "password": self.password, "dbname": dbname}

    def client_env(self):
        """The PG* variables usersvc reads."""
        return {"PGHOST": self.host, "PGPORT": str(self.port), "PGUSER": SUPERUSER,
                "PGPASSWORD": self.password, "PGDATABASE": DATABASE}

    def ensure_app_role(self, user, password, schema=None):
        """Run the image's app-role.sql as its entrypoint does; the psql run (stderr holds its notices)."""
        return subprocess.run(
            _run_as_postgres()
            + [PG_BIN / "psql", "--no-psqlrc", "--quiet", "--output=/dev/null", "--host", self.base,
               "--port", str(self.port), "--username", SUPERUSER, "--dbname", DATABASE,
               "-v", f"app_user={user}", "-v", f"app_schema={schema or user}", "--file", APP_ROLE_SQL],
            env=dict(os.environ, POSTGRES_APP_PASSWORD=password), capture_output=True, text=True, check=False,
            timeout=60,
        )

    def app_env(self, user, password):
        """The PG* variables usersvc reads, for the application's role."""
        return dict(self.client_env(), PGUSER=user, PGPASSWORD=password)

    def query(self, sql, params=()):
        with psycopg.connect(**self.conninfo(), autocommit=True) as conn:
            return conn.execute(sql, params).fetchall()

    def execute(self, sql, params=()):
        with psycopg.connect(**self.conninfo(), autocommit=True) as conn:
            conn.execute(sql, params)

    def destroy(self):
        if self.process is not None:
            self.stop()
        shutil.rmtree(self.base, ignore_errors=True)
