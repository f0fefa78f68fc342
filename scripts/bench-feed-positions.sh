#!/usr/bin/env bash
# What the gap-free feed costs writers: pgbench runs 8 clients of write transactions that each take
# one feed position and record one change, for 15 s, with positions from the one counter row
# (what waystation does: they commit in order) and, for comparison, from a plain sequence (which
# does not keep that order). Writers queue on the counter row only for the moment of their commit.
# Needs PostgreSQL (scripts/postgres.sh starts it); builds `waystation` (for `migrate`).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p waystation-cli
url=$(scripts/postgres.sh)
db="ws_bench_$$"
psql "$url" -qc "CREATE DATABASE $db"
trap 'psql "$url" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)"' EXIT
target="${url%/postgres}/$db"
WAYSTATION_DATABASE_URL="$target" target/release/waystation migrate >/dev/null
psql "$target" -qc "CREATE SEQUENCE plain_positions"
work=$(mktemp -d)
cat > "$work/counter.sql" <<'SQL'
BEGIN;
UPDATE feed_head SET seq = seq + 1 RETURNING seq \gset
INSERT INTO changes (seq, station_id, kind, op, at) VALUES (:seq, 'c' || :seq, 'station', 'upsert', 'now');
SELECT pg_notify('waystation_feed', '');
COMMIT;
SQL
cat > "$work/sequence.sql" <<'SQL'
BEGIN;
SELECT nextval('plain_positions') AS seq \gset
INSERT INTO changes (seq, station_id, kind, op, at) VALUES (-:seq, 's' || :seq, 'station', 'upsert', 'now');
COMMIT;
SQL
for script in counter sequence; do
  echo "== $script"
  pgbench -n -c 8 -j 2 -T 15 -f "$work/$script.sql" "$target" 2>/dev/null |
    grep -E "number of transactions actually processed|latency average|tps ="
done
rm -rf "$work"
