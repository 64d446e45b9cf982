#!/usr/bin/env bash
# Runs once, when the postgres container starts on an empty data volume (docker-entrypoint-initdb.d):
# one login role per service, owning its own database, which no other role may connect to.
# The passwords come from the container environment (docker-compose.yml, from .env).
# May be sourced by the entrypoint rather than executed (if the file lost its exec bit): so no exit/set here.

: "${CAMPAIGN_FINANCE_DB_PASSWORD:?set CAMPAIGN_FINANCE_DB_PASSWORD in .env}"
: "${CAMPAIGN_VOLUNTEERS_DB_PASSWORD:?set CAMPAIGN_VOLUNTEERS_DB_PASSWORD in .env}"
: "${CAMPAIGN_COMMUNICATIONS_DB_PASSWORD:?set CAMPAIGN_COMMUNICATIONS_DB_PASSWORD in .env}"

campaign_create_service_database() {
    # $1 = role and database name, $2 = password. psql variables (:'pw', :"name") quote them safely.
    psql -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" --dbname postgres \
        -v name="$1" -v pw="$2" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', :'name', :'pw')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'name') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'name', :'name')
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'name') \gexec
REVOKE CONNECT, TEMPORARY ON DATABASE :"name" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"name" TO :"name";
SQL
}

campaign_create_service_database campaign_finance "$CAMPAIGN_FINANCE_DB_PASSWORD"
campaign_create_service_database volunteer_coordinator "$CAMPAIGN_VOLUNTEERS_DB_PASSWORD"
campaign_create_service_database communications "$CAMPAIGN_COMMUNICATIONS_DB_PASSWORD"

# The maintenance databases are for the superuser only.
psql -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" --dbname postgres <<'SQL'
REVOKE CONNECT ON DATABASE postgres FROM PUBLIC;
REVOKE CONNECT ON DATABASE template1 FROM PUBLIC;
SQL
