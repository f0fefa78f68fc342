#!/usr/bin/env bash
# Starts this machine's PostgreSQL cluster (Debian's, installed by scripts/setup.sh) if it is not
# running, makes sure a `waystation` role that may create databases can log in over TCP with a
# password, and prints the URL tests use (WAYSTATION_TEST_DATABASE_URL): each test makes its own
# database from it and drops it after. Local socket connections as `postgres` need no password;
# TCP does, so the role gets one (for tests only: it is not a secret).
set -euo pipefail

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}
as_postgres() {
  if [ "$(id -un)" = postgres ]; then "$@"; else as_root runuser -u postgres -- "$@"; fi
}

version=$(pg_lsclusters --no-header | awk 'NR == 1 { print $1 }')
cluster=$(pg_lsclusters --no-header | awk 'NR == 1 { print $2 }')
port=$(pg_lsclusters --no-header | awk 'NR == 1 { print $3 }')
if [ -z "$version" ]; then
  echo "postgres: no cluster; run scripts/setup.sh" >&2
  exit 1
fi
if ! pg_lsclusters --no-header | awk 'NR == 1 { print $4 }' | grep -q online; then
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" "$cluster" start >&2
fi
for _ in $(seq 1 50); do
  as_postgres psql -p "$port" -qtAc "SELECT 1" >/dev/null 2>&1 && break
  sleep 0.2
done
as_postgres psql -p "$port" -v ON_ERROR_STOP=1 -qtA >/dev/null <<'SQL'
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'waystation') THEN
    CREATE ROLE waystation LOGIN CREATEDB PASSWORD 'waystation-test';
  END IF;
END
$$;
SQL
echo "postgres://waystation:waystation-test@127.0.0.1:${port}/postgres"
