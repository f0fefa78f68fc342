#!/usr/bin/env bash
# Reproduces the server figures in BENCHMARKS.md: `near` queries and an unchanged `changes`
# poll under load (wrk, on loopback) beside nginx serving a static file of the same size, and
# the bytes a 1 % change costs on the wire against a full snapshot; `near` also as the server
# was at BEFORE.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

need=()
command -v wrk >/dev/null 2>&1 || need+=(wrk)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
if [ "${#need[@]}" -gt 0 ]; then
  echo "bench: installing ${need[*]}"
  if [ "$(id -u)" -eq 0 ]; then apt-get install -y -q "${need[@]}"; else sudo apt-get install -y -q "${need[@]}"; fi
fi
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)

# The server as it was at BEFORE (a commit; empty for none), built the same way and kept aside, for
# the before/after `near` rows: by default the commit before answers were made from rows kept ready
# and compressed in one go (issue 12).
before=${BEFORE-22a4ad2}
before_bin=""
if [ -n "$before" ]; then
  src=target/bench/before-src
  [ -d "$src" ] || git worktree add -f "$src" "$before" >/dev/null
  git -C "$src" checkout -q --detach "$before"
  (cd "$src" && CARGO_TARGET_DIR="$root/target" cargo build --release -q -p waystation-cli)
  cp target/release/waystation target/bench/waystation-before
  before_bin="$PWD/target/bench/waystation-before"
  # Cargo names a workspace member's artifacts by its path within the workspace, so the two trees'
  # share names here: drop the old tree's, or the build below would take them as fresh.
  cargo clean -q --release $(printf -- '-p %s ' waystation-catalog waystation-synthetic waystation-cli \
    waystation-postgres waystation-server waystation-sync)
fi
cargo build --release -q -p waystation-cli
bin=$PWD/target/release/waystation
work=$(mktemp -d)
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
catalog="$work/server.sqlite"
port=18181
nginx_port=18182

"$bin" gen --count 200000 --seed 1 -o "$work/national.csv" 2>/dev/null
"$bin" --catalog "$catalog" import "$work/national.csv" >/dev/null

start_server() { # [the binary: this tree's by default]
  RUST_LOG=warn "${1:-$bin}" --catalog "$catalog" serve --addr "127.0.0.1:$port" >"$work/serve.out" 2>/dev/null &
  server_pid=$!
  for _ in $(seq 100); do grep -q listening "$work/serve.out" 2>/dev/null && break; sleep 0.1; done
}
stop_server() { kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""; }

start_server
base="http://127.0.0.1:$port"
head=$(curl -s "$base/health" | sed 's/.*"seq":\([0-9]*\).*/\1/')
near_path="/v1/stations/near?lat=30.59&lon=114.31&k=10&service=shower,drinking_water"
curl -s -H 'Accept-Encoding: gzip' "$base$near_path" -o "$work/near.gz"
curl -s "$base$near_path" -o "$work/near.json"

# nginx: the same bytes as a static file, with its own ETag / 304 handling. Its workers run as
# another user, so they must be able to read the files.
chmod 755 "$work"
mkdir -p "$work/www"
cp "$work/near.json" "$work/www/near.json"
cat >"$work/nginx.conf" <<NGINX
worker_processes 2;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  gzip on; gzip_types application/json;
  server { listen 127.0.0.1:$nginx_port; root $work/www; default_type application/json; }
}
NGINX
"$nginx_bin" -c "$work/nginx.conf"
sleep 0.5
etag=$(curl -sI "http://127.0.0.1:$nginx_port/near.json" | tr -d '\r' | sed -n 's/^[Ee][Tt]ag: //p')

# One wrk run: its rate and latency. A run with any answer but 2xx/3xx is not a measurement.
load() { # name, header, then wrk's URL (and its script and arguments)
  echo "### $1"
  wrk -t2 -c64 -d10s --latency -H "$2" "${@:3}" >"$work/wrk.out"
  grep -E "Requests/sec|^ +(50|99)%|Non-2xx|Socket errors" "$work/wrk.out"
  if grep -q "Non-2xx" "$work/wrk.out"; then echo "bench: $1 had failed answers" >&2; exit 1; fi
}
# A thousand places across the country (every 200th station of the catalog, filter as above),
# each wrk thread taking them in turn: no one neighbourhood stays hot.
python3 - "$work/national.csv" >"$work/spread.txt" <<'PY'
import csv, sys
for row in list(csv.DictReader(open(sys.argv[1], encoding="utf-8")))[::200]:
    print(f"/v1/stations/near?lat={row['lat']}&lon={row['lon']}&k=10&service=shower,drinking_water")
PY
gzip="Accept-Encoding: gzip"
plain="Accept-Encoding: identity"
echo "## load on loopback: wrk -t2 -c64 -d10s (server and load generator share the 2 cores)"
echo "near response: $(wc -c <"$work/near.json") bytes ($(wc -c <"$work/near.gz") gzip)"
load "waystation near (k=10, shower + drinking water), gzip" "$gzip" "$base$near_path"
load "waystation near at 1,000 places in turn, gzip" "$gzip" \
  -s scripts/near-spread.lua "$base" -- "$work/spread.txt"
load "waystation near, uncompressed" "$plain" "$base$near_path"
if [ -n "$before_bin" ]; then
  stop_server
  start_server "$before_bin"
  load "before ($before): waystation near, gzip" "$gzip" "$base$near_path"
  load "before ($before): waystation near at 1,000 places in turn, gzip" "$gzip" \
    -s scripts/near-spread.lua "$base" -- "$work/spread.txt"
  load "before ($before): waystation near, uncompressed" "$plain" "$base$near_path"
  stop_server
  start_server
fi
load "nginx static file of the same size, gzip" "$gzip" "http://127.0.0.1:$nginx_port/near.json"
load "nginx static file, uncompressed" "$plain" "http://127.0.0.1:$nginx_port/near.json"
load "waystation unchanged changes poll (304)" "If-None-Match: \"$head\"" "$base/v1/changes?since=$head"
load "nginx unchanged static file (304)" "If-None-Match: $etag" "http://127.0.0.1:$nginx_port/near.json"

echo "## sync volume: a 1 % change (2,000 of 200,000 stations) against a full snapshot"
for enc in gzip zstd; do
  snap=$(curl -s -H "Accept-Encoding: $enc" "$base/v1/snapshot" | wc -c)
  echo "snapshot, $enc: $snap bytes ($(( snap / 200000 )) bytes per station)"
done
curl -s "$base/v1/snapshot" | wc -c | awk '{printf "snapshot, uncompressed: %d bytes\n", $1}'
stop_server
"$bin" gen --count 2000 --seed 2 -o "$work/changed.csv" 2>/dev/null
"$bin" --catalog "$catalog" import "$work/changed.csv"
start_server
for enc in gzip zstd; do
  total=0; since=$head
  while :; do
    curl -s -H "Accept-Encoding: $enc" "$base/v1/changes?since=$since&limit=1000" -o "$work/page"
    total=$(( total + $(wc -c <"$work/page") ))
    page=$(curl -s "$base/v1/changes?since=$since&limit=1000")
    more=$(echo "$page" | grep -o '"more":[a-z]*' | tail -1)
    since=$(echo "$page" | grep -o '"last_seq":[0-9]*' | tail -1 | cut -d: -f2)
    [ "$more" = '"more":true' ] || break
  done
  snap=$(curl -s -H "Accept-Encoding: $enc" "$base/v1/snapshot" | wc -c)
  echo "changes after the 1 % edit, $enc: $total bytes; snapshot $snap bytes; ratio $(( snap / total ))x"
done
