#!/usr/bin/env bash
# Reproduces the attack figures in BENCHMARKS.md on the 200,000-station catalog: `near`
# latency (wrk, p50/p99) alone and while heavy `along` requests run beside it, and the server's
# memory while 300 logins arrive at once.
# BIN=/path/to/a/waystation measures that build instead of this tree's release build.
set -euo pipefail
[ -n "${BIN:-}" ] && BIN=$(realpath "$BIN")
cd "$(dirname "$0")/.."

command -v wrk >/dev/null 2>&1 || {
  echo "bench: installing wrk"
  if [ "$(id -u)" -eq 0 ]; then apt-get install -y -q wrk; else sudo apt-get install -y -q wrk; fi
}

if [ -n "${BIN:-}" ]; then
  bin=$BIN
else
  cargo build --release -q -p waystation-cli
  bin=$PWD/target/release/waystation
fi
work=$(mktemp -d)
server_pid=""
attackers=()
cleanup() {
  for pid in "${attackers[@]}"; do kill "$pid" 2>/dev/null || true; done
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
catalog="$work/server.sqlite"
port=18191
base="http://127.0.0.1:$port"

"$bin" gen --count 200000 --seed 1 -o "$work/national.csv" 2>/dev/null
"$bin" --catalog "$catalog" import "$work/national.csv" >/dev/null
RUST_LOG=warn "$bin" --catalog "$catalog" serve --addr "127.0.0.1:$port" >"$work/serve.out" 2>/dev/null &
server_pid=$!
for _ in $(seq 100); do grep -q listening "$work/serve.out" 2>/dev/null && break; sleep 0.1; done

# The heaviest route a request may bring: 5,700 km through the dense east, 50 km either side.
cat >"$work/long.json" <<'JSON'
{"type":"LineString","coordinates":[[126.6,45.8],[116.4,39.9],[121.5,31.2],[113.3,23.1],[102.7,25.0],[104.1,30.7],[108.9,34.3]]}
JSON
# The attack as reported: a ~580 KB LineString across China, repeated (refused by its length).
python3 - "$work/huge.json" <<'PY'
import json, sys
pairs = [[87.6, 43.8], [121.5, 31.2]] * 12000
json.dump({"type": "LineString", "coordinates": pairs}, open(sys.argv[1], "w"))
PY

near="$base/v1/stations/near?lat=30.59&lon=114.31&k=10&service=shower,drinking_water"
latency() {
  wrk -t1 -c16 -d10s --latency "$near" | awk '/ 50%/ {p50=$2} / 99%/ {p99=$2} /Requests\/sec/ {rps=$2} END {printf "%s req/s, p50 %s, p99 %s", rps, p50, p99}'
}

echo "along (5,700 km, 50 km): $(curl -s -o /dev/null -w '%{http_code}, %{time_total} s' -X POST --data-binary @"$work/long.json" "$base/v1/stations/along?within=50km")"
echo "along (580 KB, across China repeated): $(curl -s -o /dev/null -w '%{http_code}, %{time_total} s, %{size_upload} bytes sent' -X POST --data-binary @"$work/huge.json" "$base/v1/stations/along?within=50km")"
echo "near alone: $(latency)"
paced() { python3 scripts/paced-latency.py "$near" 500 10; }
echo "near alone, 500 a second: $(paced)"
# The attackers: wrk too (no process per request), two connections for each route, running
# a little longer than the measurement beside them.
cat >"$work/post.lua" <<'LUA'
local f = assert(io.open(os.getenv("ROUTE"), "r"))
wrk.body = f:read("*a")
f:close()
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
LUA
for route in long huge; do
  ROUTE="$work/$route.json" wrk -t1 -c2 -d25s -s "$work/post.lua" "$base/v1/stations/along?within=50km" >"$work/$route.out" &
  attackers+=($!)
done
sleep 1
echo "near during the along attack (2 connections with the heaviest route, 2 with the 580 KB one): $(latency)"
echo "near during the along attack, 500 a second: $(paced)"
wait "${attackers[@]}" 2>/dev/null || true
attackers=()
for route in long huge; do
  echo "  along ($route) meanwhile: $(awk '/Requests\/sec/ {rps=$2} /Non-2xx/ {busy=$NF} END {print rps " req/s, " busy+0 " of them not 2xx"}' "$work/$route.out")"
done

rss() { awk '/VmRSS/ {print $2 / 1024 " MB"}' "/proc/$server_pid/status"; }
echo "server RSS before the logins: $(rss)"
# Each from its own loopback address (all of 127/8 is this machine), so the per-address limit
# does not stop them before their passwords are checked.
login() {
  curl -s -o /dev/null -w '%{http_code}\n' --interface "127.1.$(($1 / 250)).$(($1 % 250 + 1))" \
    -X POST -H 'content-type: application/json' \
    -d "{\"username\":\"user$1\",\"password\":\"wrong-password\"}" "$base/v1/login"
}
export -f login
export base
seq 300 | xargs -P 300 -I{} bash -c 'login {}' >"$work/logins.txt" &
logins=$!
peak=0
while kill -0 "$logins" 2>/dev/null; do
  now=$(awk '/VmRSS/ {print $2}' "/proc/$server_pid/status")
  [ "$now" -gt "$peak" ] && peak=$now
  sleep 0.05
done
echo "300 parallel logins: peak RSS $((peak / 1024)) MB; answers: $(sort "$work/logins.txt" | uniq -c | tr '\n' ' ')"
# What the burst leaves: an allocator may keep freed blocks for a moment before returning them.
sleep 1
echo "server RSS a second after the logins: $(rss)"
