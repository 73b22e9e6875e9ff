-- The role the application (usersvc) logs in with, and the schema made for it. Run by
-- docker-entrypoint.sh on every start, before the server listens on the network: as the superuser,
-- on the local socket, in the application's database, with the psql variables app_user and
-- app_schema and the password in POSTGRES_APP_PASSWORD. Running it again changes nothing (the
-- password is set again, with a new salt).
--
-- The role can log in to this database only, and do nothing there but use its schema: it is no
-- superuser, cannot create roles or databases, and owns nothing but what it creates in its schema
-- (its table). The schema itself belongs to the superuser, so the role cannot drop it or grant it.
\set ON_ERROR_STOP on
\getenv app_password POSTGRES_APP_PASSWORD
-- The statements below carry the password: never write one to the server log, even when it fails.
SET log_statement = 'none';
SET log_min_error_statement = 'panic';
-- Session settings hand the values to the DO block (psql does not expand variables inside it).
SELECT set_config('lab.app_user', :'app_user', false), set_config('lab.app_schema', :'app_schema', false),
       set_config('lab.app_password', :'app_password', false)
\gset ignored_

DO $provision$
DECLARE
    app_user   text := current_setting('lab.app_user');
    app_schema text := current_setting('lab.app_schema');
    legacy     regclass := to_regclass('public.users');
    other      text;
BEGIN
    IF app_user = current_user OR EXISTS (SELECT FROM pg_roles WHERE rolname = app_user AND rolsuper) THEN
        RAISE EXCEPTION 'POSTGRES_APP_USER=% is a superuser; the application needs a role of its own', app_user;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = app_user) THEN
        EXECUTE format('CREATE ROLE %I', app_user);
        RAISE NOTICE 'created the role %', app_user;
    END IF;
    -- Every attribute spelled out: a role that someone widened by hand is narrowed again.
    EXECUTE format('ALTER ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION '
                   'NOBYPASSRLS PASSWORD %L', app_user, current_setting('lab.app_password'));
    EXECUTE format('ALTER ROLE %I IN DATABASE %I SET search_path = %I', app_user, current_database(), app_schema);

    -- This database only, and no temporary tables: PUBLIC may connect to every database by default.
    FOR other IN SELECT datname FROM pg_database WHERE datallowconn LOOP
        EXECUTE format('REVOKE CONNECT, TEMPORARY ON DATABASE %I FROM PUBLIC', other);
    END LOOP;
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), app_user);

    IF to_regnamespace(app_schema) IS NULL THEN
        EXECUTE format('CREATE SCHEMA %I', app_schema);
        RAISE NOTICE 'created the schema %', app_schema;
    END IF;
    EXECUTE format('GRANT USAGE, CREATE ON SCHEMA %I TO %I', app_schema, app_user);

    -- Releases before the role kept the table in public, owned by the superuser they logged in as.
    IF legacy IS NOT NULL AND (SELECT relkind FROM pg_class WHERE oid = legacy) = 'r' THEN
        IF to_regclass(format('%I.users', app_schema)) IS NULL THEN
            EXECUTE format('ALTER TABLE public.users SET SCHEMA %I', app_schema);
            EXECUTE format('ALTER TABLE %I.users OWNER TO %I', app_schema, app_user);
            -- Pods of the previous release log in as the superuser with public on their search_path
            -- until their rollout ends; through this view they read and write the same rows. Only
            -- the superuser may use it.
            EXECUTE format('CREATE VIEW public.users AS SELECT * FROM %I.users', app_schema);
            RAISE NOTICE 'moved the table public.users to %.users, owned by %', app_schema, app_user;
        ELSE
            RAISE WARNING 'public.users and %.users both exist; public.users is left as it is', app_schema;
        END IF;
    END IF;
END
$provision$;

RESET lab.app_password;
