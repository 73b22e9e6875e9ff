"""The users table: schema, reads and guarded writes over a connection pool.

The table is named without a schema: the connection's search_path picks it. Deployed, usersvc logs in
as a role of its own whose search_path is the schema the deployment made for it.
"""

import contextlib
import logging
import os
import threading
import uuid
from dataclasses import dataclass

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from .errors import DatabaseUnavailable

LOG = logging.getLogger(__name__)

# Any constant works; it only has to be the same in every replica so schema creation is serialised.
SCHEMA_LOCK_KEY = 0x7573657273766331
SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    uuid     char(32) PRIMARY KEY,
    username text NOT NULL UNIQUE,
    fullname text NOT NULL,
    password text NOT NULL
)
"""
# A name that exists already is left alone: changing a user goes through UPDATE, which checks the
# stored password hash it was decided on.
INSERT = """
INSERT INTO users (uuid, username, fullname, password) VALUES (%s, %s, %s, %s)
ON CONFLICT (username) DO NOTHING
RETURNING uuid, fullname
"""
UPDATE = """
UPDATE users SET fullname = %s, password = %s
WHERE username = %s AND password = %s
RETURNING uuid, fullname
"""
SELECT = "SELECT uuid, fullname FROM users WHERE username = %s"
SELECT_STORED = "SELECT uuid, fullname, password FROM users WHERE username = %s"

CONNECT_TIMEOUT_SECONDS = 3
# How long a request waits for a pooled connection before answering 503.
POOL_WAIT_SECONDS = 3.0
# Background reconnects back off exponentially; giving up after a few seconds keeps the delay
# short, because the next request starts a fresh attempt anyway.
RECONNECT_WINDOW_SECONDS = 5.0


@dataclass(frozen=True)
class User:
    uuid: str
    fullname: str


@dataclass(frozen=True)
class StoredUser:
    """A row as stored, password hash included; never sent to a client."""

    uuid: str
    fullname: str
    password_hash: str

    def public(self):
        return User(uuid=self.uuid, fullname=self.fullname)


def connection_settings(environ=None):
    """libpq keyword arguments from the PG* variables, with the tutorial's defaults."""
    environ = os.environ if environ is None else environ
    settings = {
        "host": environ.get("PGHOST", "postgres"),
        "dbname": environ.get("PGDATABASE", "users"),
        "connect_timeout": CONNECT_TIMEOUT_SECONDS,
        "application_name": "usersvc",
    }
    for key, variable in (("port", "PGPORT"), ("user", "PGUSER"), ("password", "PGPASSWORD")):
        if environ.get(variable):
            settings[key] = environ[variable]
    return settings


def new_user_id():
    return uuid.uuid4().hex.upper()


class UserStore:
    def __init__(self, settings, max_connections=4):
        self._pool = ConnectionPool(
            kwargs=settings,
            min_size=1,
            max_size=max_connections,
            open=False,
            timeout=POOL_WAIT_SECONDS,
            # A connection that died with a database restart is replaced before a request sees it.
            check=ConnectionPool.check_connection,
            reconnect_timeout=RECONNECT_WINDOW_SECONDS,
            name="usersvc",
        )
        self._schema_lock = threading.Lock()
        self._schema_ready = False

    def open(self):
        """Start connecting in the background; a missing database must not stop the service."""
        self._pool.open(wait=False)

    def wait_ready(self, timeout):
        """Block until the pool holds its first connection (used where start-up order matters)."""
        self._pool.wait(timeout=timeout)

    def prepare(self):
        """Create the schema now if the database is there; otherwise the first request does."""
        try:
            self.ensure_schema()
        except DatabaseUnavailable as exc:
            LOG.warning("schema not created yet, will retry on first use: %s", exc.detail)

    def close(self):
        self._pool.close()

    def ensure_schema(self):
        with self._schema_lock:
            if self._schema_ready:
                return
            with self._connection() as conn, conn.transaction():
                # Replicas starting together would race on CREATE TABLE's catalog rows.
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK_KEY,))
                conn.execute(SCHEMA)
            self._schema_ready = True

    def insert(self, username, fullname, password_hash):
        """The new user, or None when the name exists already (nothing is changed then)."""
        row = self._first_row(INSERT, (new_user_id(), username, fullname, password_hash))
        return None if row is None else User(uuid=row[0], fullname=row[1])

    def update(self, username, fullname, password_hash, expected_hash):
        """The changed user, or None when its stored hash is no longer ``expected_hash`` (nothing changed)."""
        row = self._first_row(UPDATE, (fullname, password_hash, username, expected_hash))
        return None if row is None else User(uuid=row[0], fullname=row[1])

    def get(self, username):
        row = self._first_row(SELECT, (username,))
        return None if row is None else User(uuid=row[0], fullname=row[1])

    def get_stored(self, username):
        row = self._first_row(SELECT_STORED, (username,))
        return None if row is None else StoredUser(uuid=row[0], fullname=row[1], password_hash=row[2])

    def _first_row(self, query, params):
        """Run one statement; if the table vanished (a database reset), create it again and retry once.

        Without the retry every replica would answer 500 until restarted, since each remembers
        that it already created the schema.
        """
        self.ensure_schema()
        try:
            return self._fetch_one(query, params)
        except psycopg.errors.UndefinedTable:
            LOG.warning("the users table is gone (database reset?); creating it again")
            with self._schema_lock:
                self._schema_ready = False
            self.ensure_schema()
            return self._fetch_one(query, params)

    def _fetch_one(self, query, params):
        with self._connection() as conn:
            return conn.execute(query, params).fetchone()

    @contextlib.contextmanager
    def _connection(self):
        """A pooled connection; an unreachable database surfaces as DatabaseUnavailable."""
        try:
            with self._pool.connection() as conn:
                yield conn
        except PoolTimeout as exc:
            raise DatabaseUnavailable("no connection within the wait time") from exc
        except psycopg.OperationalError as exc:
            raise DatabaseUnavailable(str(exc).strip() or type(exc).__name__) from exc
