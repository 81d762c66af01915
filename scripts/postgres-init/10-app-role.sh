#!/bin/sh
# PostgreSQL's first start (docker-compose): the application's own role — an ordinary one, subject to row-level
# security. The owner (POSTGRES_USER) runs migrations, which grant this role row access (rollout/rls.py).
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v app_password="$TUTTI_APP_DB_PASSWORD" <<'SQL'
CREATE ROLE tutti_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD :'app_password';
SQL
