#!/bin/sh
# Initialise the data directory on first start, then run PostgreSQL as the postgres user.
set -eu

if [ "${1:-}" != "postgres" ]; then
    exec "$@"
fi
shift

if [ "$(id -u)" = 0 ]; then
    # Fresh volumes (hostPath, local PVs) arrive owned by root; give them to postgres, then drop root.
    mkdir -p "$PGDATA" /run/postgresql
    find "$PGDATA" /run/postgresql \! -user postgres -exec chown postgres:postgres {} +
    chmod 0700 "$PGDATA"
    exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" postgres "$@"
fi

if [ ! -w "$PGDATA" ]; then
    echo "$PGDATA is not writable by uid $(id -u); start as root once or give the volume to uid 999" >&2
    exit 1
fi

if [ ! -s "$PGDATA/PG_VERSION" ]; then
    : "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD must be set (from the Secret) to initialise the database}"
    pwfile="$(mktemp)"
    printf '%s\n' "$POSTGRES_PASSWORD" > "$pwfile"
    initdb --pgdata="$PGDATA" --username="$POSTGRES_USER" --pwfile="$pwfile" \
        --auth-local=trust --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8
    rm -f "$pwfile"
    # Password logins from other pods; the local socket stays trust-only inside this container.
    printf '%s\n' "host all all 0.0.0.0/0 scram-sha-256" "host all all ::/0 scram-sha-256" >> "$PGDATA/pg_hba.conf"
    # A socket-only server for set-up, so no client can connect before the database exists.
    pg_ctl --pgdata="$PGDATA" --options="-c listen_addresses= -k /run/postgresql" --wait start
    echo 'CREATE DATABASE :"db";' | psql -v ON_ERROR_STOP=1 -v db="$POSTGRES_DB" \
        --host=/run/postgresql --username="$POSTGRES_USER" --dbname=postgres --quiet
    pg_ctl --pgdata="$PGDATA" --mode=fast --wait stop
fi

exec postgres -D "$PGDATA" -c listen_addresses='*' -k /run/postgresql "$@"
