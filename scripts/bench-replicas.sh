#!/usr/bin/env bash
# Reproduces the replica figures in BENCHMARKS.md (issue 11), in one run on this machine: `near`
# on one server over the catalog file against one replica over PostgreSQL (the same 200,000
# stations), the snapshot of those stations built by each, then two replicas on one database:
# operator edits sustained through both and how long an edit through one takes to reach the
# other (scripts/replica-load.py). Needs PostgreSQL (scripts/postgres.sh starts it), wrk and a
# release build (made here).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null 2>&1 || {
  if [ "$(id -u)" -eq 0 ]; then apt-get install -y -q wrk; else sudo apt-get install -y -q wrk; fi
}
cargo build --release -q -p waystation-cli
bin=$PWD/target/release/waystation
url=$(scripts/postgres.sh)
db="ws_bench_$$"
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  psql "$url" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" || true
  rm -rf "$work"
}
trap cleanup EXIT
psql "$url" -qc "CREATE DATABASE $db"
export_url="${url%/postgres}/$db"

catalog="$work/server.sqlite"
"$bin" gen --count 200000 --seed 1 -o "$work/national.csv" 2>/dev/null
"$bin" --catalog "$catalog" import "$work/national.csv" >/dev/null
operators=()
printf 'root-pass-1\n' | "$bin" --catalog "$catalog" admin add-user root --role admin >/dev/null
for n in 1 2 3 4 5 6 7 8 9; do
  printf 'op-pass-%s1\n' "$n" | "$bin" --catalog "$catalog" admin add-user "op$n" --role operator >/dev/null
  station=$(printf 'syn-ws-%06d' "$((n * 1000))")
  "$bin" --catalog "$catalog" admin assign "op$n" "$station" >/dev/null
  operators+=("op$n:op-pass-${n}1:$station")
done
WAYSTATION_DATABASE_URL="$export_url" "$bin" migrate --from "$catalog" >/dev/null
"$bin" keygen "$work/signing.key" >/dev/null

# Starts a server with the given arguments; its base URL in $served (not printed: a command
# substitution would run it in a subshell, and the server's pid would not be remembered).
serve() { # log name, args...
  local log="$work/$1.out"; shift
  RUST_LOG=warn "$@" --addr 127.0.0.1:0 >"$log" 2>/dev/null &
  pids+=($!)
  for _ in $(seq 600); do grep -q listening "$log" 2>/dev/null && break; sleep 0.1; done
  served=$(grep -o 'http://[0-9.:]*' "$log")
}
stop_all() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  pids=()
}
near_path="/v1/stations/near?lat=30.59&lon=114.31&k=10&service=shower,drinking_water"
load() { # name, URL
  echo "### $1"
  wrk -t2 -c64 -d10s --latency -H "Accept-Encoding: gzip" "$2" |
    grep -E "Requests/sec|50%|99%|Non-2xx|Socket errors"
}
# A phone 50 changes behind asks for them (the page comes from the catalog file, or from
# PostgreSQL on a replica); one with nothing new is answered 304 from memory on both.
polls() { # name, base URL
  local head
  head=$(curl -s "$2/health" | sed 's/.*"seq":\([0-9]*\).*/\1/')
  load "$1: a page of 50 changes, with tallies" "$2/v1/changes?since=$((head - 50))&facts=true"
  echo "### $1: unchanged poll (304)"
  wrk -t2 -c64 -d10s --latency -H "If-None-Match: \"$head\"" "$2/v1/changes?since=$head" |
    grep -E "Requests/sec|50%|99%|Non-2xx|Socket errors"
}
since() { python3 -c "import sys; print(round(float(sys.argv[2]) - float(sys.argv[1]), 2))" "$1" "${2:-$(date +%s.%N)}"; }
snapshot() { # name, base URL
  local t0 t1
  t0=$(date +%s.%N)
  curl -sf -o /dev/null -H 'Accept-Encoding: gzip' "$2/v1/snapshot?facts=true"
  t1=$(date +%s.%N)
  echo "### $1: first snapshot (200,000 stations, with tallies): $(since "$t0" "$t1") s"
}

echo "## one server, one at a time: wrk -t2 -c64 -d10s, gzip (server and wrk share the 2 cores)"
started=$(date +%s.%N)
serve file "$bin" --catalog "$catalog" serve --signing-key "$work/signing.key"
file=$served
echo "### file server ready in $(since "$started") s"
load "near over the catalog file" "$file$near_path"
polls "file server" "$file"
snapshot "file server" "$file"
stop_all
started=$(date +%s.%N)
WAYSTATION_DATABASE_URL="$export_url" serve replica "$bin" serve --signing-key "$work/signing.key"
replica=$served
echo "### replica ready in $(since "$started") s (copies the catalog from PostgreSQL)"
load "near over PostgreSQL (a replica)" "$replica$near_path"
polls "replica" "$replica"
snapshot "replica (builds it once, stores it in PostgreSQL)" "$replica"
stop_all

echo "## two replicas on one database: 8 operators editing through both for 15 s"
WAYSTATION_DATABASE_URL="$export_url" serve a "$bin" serve --signing-key "$work/signing.key"
a=$served
WAYSTATION_DATABASE_URL="$export_url" serve b "$bin" serve --signing-key "$work/signing.key"
b=$served
python3 scripts/replica-load.py "$a" "$b" 15 "${operators[@]}"
