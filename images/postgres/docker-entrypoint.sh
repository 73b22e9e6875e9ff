#!/bin/sh
# Initialise the data directory on first start and, on every start, the application's role
# (POSTGRES_APP_USER, app-role.sql); then run PostgreSQL as the postgres user.
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

fresh=false
if [ ! -s "$PGDATA/PG_VERSION" ]; then
    : "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD must be set (from the Secret) to initialise the database}"
    pwfile="$(mktemp)"
    printf '%s\n' "$POSTGRES_PASSWORD" > "$pwfile"
    initdb --pgdata="$PGDATA" --username="$POSTGRES_USER" --pwfile="$pwfile" \
        --auth-local=trust --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8
    rm -f "$pwfile"
    # Password logins from other pods; the local socket stays trust-only inside this container.
    printf '%s\n' "host all all 0.0.0.0/0 scram-sha-256" "host all all ::/0 scram-sha-256" >> "$PGDATA/pg_hba.conf"
    fresh=true
fi

if [ "$fresh" = true ] || [ -n "${POSTGRES_APP_USER:-}" ]; then
    # A socket-only server for set-up, so no client can connect before the database and the
    # application's role are as they should be. Crash recovery, if any, happens here.
    if [ -n "${POSTGRES_APP_USER:-}" ]; then
        : "${POSTGRES_APP_PASSWORD:?POSTGRES_APP_PASSWORD must be set (from the Secret) with POSTGRES_APP_USER}"
    fi
    pg_ctl --pgdata="$PGDATA" --options="-c listen_addresses= -k /run/postgresql" --wait --timeout=600 start
    status=0
    if [ "$fresh" = true ]; then
        echo 'CREATE DATABASE :"db";' | psql -v ON_ERROR_STOP=1 -v db="$POSTGRES_DB" \
            --host=/run/postgresql --username="$POSTGRES_USER" --dbname=postgres --quiet || status=$?
    fi
    if [ "$status" = 0 ] && [ -n "${POSTGRES_APP_USER:-}" ]; then
        psql --no-psqlrc --quiet --output=/dev/null --host=/run/postgresql --username="$POSTGRES_USER" \
            --dbname="$POSTGRES_DB" -v app_user="$POSTGRES_APP_USER" \
            -v app_schema="${POSTGRES_APP_SCHEMA:-$POSTGRES_APP_USER}" \
            --file=/usr/local/share/postgresql-lab/app-role.sql || status=$?
    fi
    # Stopped also after a failed step, so that a restart finds a cleanly shut down server.
    pg_ctl --pgdata="$PGDATA" --mode=fast --wait stop
    [ "$status" = 0 ] || exit "$status"
fi

exec postgres -D "$PGDATA" -c listen_addresses='*' -k /run/postgresql "$@"
