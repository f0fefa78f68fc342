#!/usr/bin/env bash
# Reproduces the server figures in BENCHMARKS.md: `near` queries and an unchanged `changes`
# poll under load (wrk, on loopback) beside nginx serving a static file of the same size, and
# the bytes a 1 % change costs on the wire against a full snapshot.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v wrk >/dev/null 2>&1 || need+=(wrk)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
if [ "${#need[@]}" -gt 0 ]; then
  echo "bench: installing ${need[*]}"
  if [ "$(id -u)" -eq 0 ]; then apt-get install -y -q "${need[@]}"; else sudo apt-get install -y -q "${need[@]}"; fi
fi
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)

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

start_server() {
  RUST_LOG=warn "$bin" --catalog "$catalog" serve --addr "127.0.0.1:$port" >"$work/serve.out" 2>/dev/null &
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

load() { # name, url, extra header
  echo "### $1"
  if [ -n "${3:-}" ]; then wrk -t2 -c64 -d10s --latency -H "$3" "$2"; else wrk -t2 -c64 -d10s --latency "$2"; fi \
    | grep -E "Requests/sec|50%|99%|Non-2xx|Socket errors"
}
echo "## load on loopback: wrk -t2 -c64 -d10s (server and load generator share the 2 cores)"
echo "near response: $(wc -c <"$work/near.json") bytes ($(wc -c <"$work/near.gz") gzip)"
load "waystation near (k=10, shower + drinking water), gzip" "$base$near_path" "Accept-Encoding: gzip"
load "waystation near, uncompressed" "$base$near_path"
load "nginx static file of the same size, gzip" "http://127.0.0.1:$nginx_port/near.json" "Accept-Encoding: gzip"
load "nginx static file, uncompressed" "http://127.0.0.1:$nginx_port/near.json"
load "waystation unchanged changes poll (304)" "$base/v1/changes?since=$head" "If-None-Match: \"$head\""
load "nginx unchanged static file (304)" "http://127.0.0.1:$nginx_port/near.json" "If-None-Match: $etag"

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
