#!/usr/bin/env bash
# Coverage-guided fuzzing of what Waystation reads from files and the network (fuzz/, cargo fuzz
# with libFuzzer): each target for FUZZ_SECONDS (default 120), starting from the seed corpus in
# fuzz/corpus/<target>. A crash fails the run and leaves its input in fuzz/artifacts/<target>.
# Then schemathesis against /v1/openapi.json on a running server: no 5xx, statuses as
# documented (SCHEMATHESIS_EXAMPLES per operation, default 100). `make fuzz` runs it; CI runs
# a short smoke (FUZZ_SECONDS=10 SCHEMATHESIS_EXAMPLES=10).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-120}
examples=${SCHEMATHESIS_EXAMPLES:-100}

command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked
command -v st >/dev/null 2>&1 || python3 -m pip install -q --user schemathesis
export PATH="$HOME/.local/bin:$PATH"

# No sanitizer (AddressSanitizer needs a nightly compiler; the code is safe Rust), but with
# debug assertions, so an arithmetic overflow is a crash too.
(cd fuzz && cargo fuzz build -s none -a)
crashed=()
for target in $(cd fuzz && cargo fuzz list); do
  scratch=$(mktemp -d)
  cp -r "fuzz/corpus/$target/." "$scratch/"
  # The target's own temporary files (a catalog the queries target makes once a process, which
  # libFuzzer's exit never removes) go here, and with it.
  mkdir "$scratch.tmp"
  echo "fuzz: $target for ${seconds}s"
  status=0
  (cd fuzz && TMPDIR="$scratch.tmp" cargo fuzz run "$target" -s none -a "$scratch" -- \
    -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 -print_final_stats=1) \
    >"$scratch.log" 2>&1 || status=$?
  grep -E "^(Done|stat::number_of_executed_units|stat::peak_rss_mb|==|SUMMARY|thread)" "$scratch.log" || true
  if [ "$status" -ne 0 ]; then
    tail -40 "$scratch.log"
    crashed+=("$target")
  fi
  rm -rf "$scratch" "$scratch.log" "$scratch.tmp"
done
if [ "${#crashed[@]}" -gt 0 ]; then
  echo "fuzz: crashed: ${crashed[*]} (inputs in fuzz/artifacts/)" >&2
  exit 1
fi

cargo build -q -p waystation-cli
bin=$PWD/target/debug/waystation
work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
"$bin" gen --count 300 --seed 2 -o "$work/s.csv" 2>/dev/null
"$bin" --catalog "$work/server.sqlite" import "$work/s.csv" >/dev/null
# An admin, so the account and editing operations are exercised past 401 too.
echo "fuzz-admin-pass" | "$bin" --catalog "$work/server.sqlite" admin add-user fuzz --role admin >/dev/null
RUST_LOG=warn "$bin" --catalog "$work/server.sqlite" serve --addr 127.0.0.1:0 >"$work/serve.out" 2>/dev/null &
server=$!
for _ in $(seq 100); do grep -q listening "$work/serve.out" 2>/dev/null && break; sleep 0.1; done
url=$(grep -o 'http://[0-9.:]*' "$work/serve.out")
token=$(curl -sf -X POST -H 'content-type: application/json' \
  -d '{"username": "fuzz", "password": "fuzz-admin-pass"}' "$url/v1/login" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')
echo "schemathesis: $url/v1/openapi.json, $examples examples per operation, as an admin"
schemathesis() {
  st run "$url/v1/openapi.json" --checks not_a_server_error,status_code_conformance \
    --header "Authorization: Bearer $token" \
    --max-examples "$examples" --request-timeout 30 --phases examples,coverage,fuzzing \
    --generation-deterministic "$@"
}
# Logging out ends the admin's session, so it goes last, alone.
schemathesis --exclude-path /v1/logout
schemathesis --include-path /v1/logout
