#!/usr/bin/env bash
# Starts this machine's PostgreSQL cluster (Debian's, installed by scripts/setup.sh) if it is not
# running, makes sure a `waystation_test` role that may create databases can log in over TCP with
# a password, drops the databases earlier test runs left behind, and prints the URL tests use
# (WAYSTATION_TEST_DATABASE_URL): each test makes its own database from it and drops it after.
# The role's password is random, made once and kept in a file only its owner reads. Local socket
# connections as `postgres` need no password; TCP does. For tests only: production roles are
# yours to make (README, "Past one machine").
set -euo pipefail

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}
as_postgres() {
  if [ "$(id -un)" = postgres ]; then "$@"; else as_root runuser -u postgres -- "$@"; fi
}

read -r version cluster port status _ < <(pg_lsclusters --no-header | head -n 1) || true
if [ -z "${version:-}" ]; then
  echo "postgres: no cluster; run scripts/setup.sh" >&2
  exit 1
fi
if [ "$status" != online ]; then
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" "$cluster" start >&2
fi
for _ in $(seq 1 50); do
  as_postgres psql -p "$port" -qtAc "SELECT 1" >/dev/null 2>&1 && break
  sleep 0.2
done

secret="${XDG_CONFIG_HOME:-$HOME/.config}/waystation/test-database-password"
if [ ! -s "$secret" ]; then
  mkdir -p "$(dirname "$secret")"
  (umask 077 && od -An -N16 -tx1 /dev/urandom | tr -d ' \n' > "$secret")
fi
password=$(cat "$secret")
as_postgres psql -p "$port" -v ON_ERROR_STOP=1 -v pw="$password" -qtA >/dev/null <<'SQL'
SET client_min_messages = warning;
SELECT 'CREATE ROLE waystation_test LOGIN CREATEDB'
  WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'waystation_test') \gexec
ALTER ROLE waystation_test WITH LOGIN CREATEDB PASSWORD :'pw';
-- Lets a test drop its database even while autovacuum is working in it.
GRANT pg_signal_backend TO waystation_test;
SELECT format('DROP DATABASE %I WITH (FORCE)', datname) FROM pg_database
  WHERE datname LIKE 'ws\_test\_%' \gexec
SQL
echo "postgres://waystation_test:${password}@127.0.0.1:${port}/postgres"
