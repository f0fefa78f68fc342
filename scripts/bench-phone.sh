#!/usr/bin/env bash
# The phone-class check (issue 12): the open and query figures on a 200,000-station catalog with
# the process held to one core at a quarter of its speed (taskset, and a CPU cgroup allowing
# 2.5 ms of every 10 ms), beside the same on the whole machine; and instruction counts
# (valgrind), the measure that does not move with the machine's load. Needs root for the cgroup
# (v1 or v2); without it, only the instruction counts are given.
# The build at BEFORE (a commit, by default the one issue 12 was filed at; empty for none; built
# once, scripts/before.sh) is measured beside this one, each on its own copy of the same catalog
# (so a build that packs its index in another format does not make the other's every open build
# it again), in the same hyperfine runs (before and after side by side). The catalog is made by
# the before build, so an older build reads it; this build brings its copy up to its own schema on
# the first open, as an upgraded app does.
set -euo pipefail
cd "$(dirname "$0")/.."
before=${BEFORE-dfbdcaf}
before_bin=""
if [ -n "$before" ]; then
  source scripts/before.sh
  before_bin=$(before_cli "$before")
fi

for tool in hyperfine valgrind /usr/bin/time; do
  command -v "$tool" >/dev/null 2>&1 || {
    package=$(basename "$tool")
    echo "bench-phone: installing $package"
    if [ "$(id -u)" -eq 0 ]; then apt-get install -y -q "$package"; else sudo apt-get install -y -q "$package"; fi
  }
done

cargo build --release -q -p waystation-cli
bin=$PWD/target/release/waystation
work=$(mktemp -d)
cgroup=""
cleanup() {
  if [ -n "$cgroup" ]; then
    while read -r pid; do echo "$pid" > "$(dirname "$cgroup")/cgroup.procs" 2>/dev/null || true; done < "$cgroup/cgroup.procs"
    rmdir "$cgroup" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "## machine"
echo "$(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(lscpu | sed -n 's/^Model name: *//p')"

query=(near 30.59,114.31 -n 10 --service shower,drinking_water --json)
builds=("$bin")
[ -n "$before_bin" ] && builds=("$before_bin" "$bin")
catalog="$work/national.sqlite"
"${builds[0]}" gen --count 200000 --seed 1 -o "$work/national.csv" 2>/dev/null
"${builds[0]}" --catalog "$catalog" import "$work/national.csv" >/dev/null
catalogs=()
for i in "${!builds[@]}"; do
  copy="$work/national-$i.sqlite"
  python3 -c "import sqlite3, sys; sqlite3.connect(sys.argv[1]).execute('VACUUM INTO ?', (sys.argv[2],))" "$catalog" "$copy"
  catalogs+=("$copy")
  # The first answer brings the copy to the build's schema and packs the build's index into it.
  "${builds[$i]}" --catalog "$copy" "${query[@]}" >/dev/null || {
    echo "bench-phone: ${builds[$i]} cannot answer from this build's catalog (another schema?)" >&2
    exit 1
  }
  echo "${builds[$i]}'s catalog file: $(stat -c %s "$copy") bytes"
done
# Each build's command line, for hyperfine (one run compares them all).
commands() { for i in "${!builds[@]}"; do echo "$* ${builds[$i]} --catalog ${catalogs[$i]} ${query[*]}"; done; }
# A change by another writer: the next open builds the index from the rows (and packs it). A
# build from before the packed index keeps no generation: every open of it builds.
changed="python3 -c \"import sqlite3, sys
for f in sys.argv[1:]:
    c = sqlite3.connect(f)
    if c.execute('SELECT 1 FROM sqlite_master WHERE name = ?', ('index_generation',)).fetchone():
        c.execute('UPDATE index_generation SET n = n + 1'); c.commit()\" ${catalogs[*]}"

# A CPU cgroup allowing a quarter of one core, in small slices so the process is slowed
# evenly rather than stopped for long stretches.
if [ "$(id -u)" -eq 0 ]; then
  if [ -d /sys/fs/cgroup/cpu ] && [ -w /sys/fs/cgroup/cpu ]; then
    cgroup=/sys/fs/cgroup/cpu/waystation-phone
    mkdir -p "$cgroup"
    echo 10000 > "$cgroup/cpu.cfs_period_us"
    echo 2500 > "$cgroup/cpu.cfs_quota_us"
  elif [ -f /sys/fs/cgroup/cgroup.controllers ] && grep -qw cpu /sys/fs/cgroup/cgroup.controllers; then
    echo "+cpu" > /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null || true
    cgroup=/sys/fs/cgroup/waystation-phone
    mkdir -p "$cgroup"
    echo "2500 10000" > "$cgroup/cpu.max"
  fi
fi
phone="$work/phone"
cat > "$phone" <<EOF
#!/bin/sh
# Runs its arguments on one core at a quarter of its speed.
echo \$\$ > "$cgroup/cgroup.procs"
exec taskset -c 0 "\$@"
EOF
chmod +x "$phone"

median() {
  python3 -c "import json,statistics,sys;print(', '.join('%.1f ms' % (statistics.median(r['times'])*1000) for r in json.load(open(sys.argv[1]))['results']))" "$1"
}
[ "${#builds[@]}" -gt 1 ] && echo "(each line: $before_bin ($before), then $bin)"

echo "## whole-process near (Wuhan, shower + drinking water, k = 10): median of hyperfine runs"
mapfile -t whole < <(commands)
mapfile -t slowed < <(commands "$phone")
hyperfine -N --warmup 3 --runs 30 --export-json "$work/open.json" "${whole[@]}" >/dev/null
echo "whole machine, packed index: $(median "$work/open.json")"
hyperfine --warmup 1 --runs 10 --prepare "$changed" --export-json "$work/built.json" "${whole[@]}" >/dev/null
echo "whole machine, first open after a change (build + pack): $(median "$work/built.json")"
if [ -n "$cgroup" ]; then
  hyperfine -N --warmup 2 --runs 20 --export-json "$work/phone-open.json" "${slowed[@]}" >/dev/null
  echo "one core at a quarter speed, packed index: $(median "$work/phone-open.json")"
  hyperfine --warmup 1 --runs 5 --prepare "$changed" --export-json "$work/phone-built.json" "${slowed[@]}" >/dev/null
  echo "one core at a quarter speed, first open after a change: $(median "$work/phone-built.json")"
else
  echo "(no CPU cgroup to write: run as root for the quarter-speed figures)"
fi

echo "## instructions (valgrind, the whole process)"
count() {
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null \
    | sed -n 's/.*Collected : \([0-9]*\).*/\1/p' \
    | awk '{printf "%.1f million instructions\n", $1 / 1e6}'
}
for i in "${!builds[@]}"; do
  b=${builds[$i]}
  args=(--catalog "${catalogs[$i]}" "${query[@]}")
  "$b" "${args[@]}" >/dev/null
  echo "$b near, packed index: $(count "$b" "${args[@]}"), max RSS $(/usr/bin/time -f '%M KB' "$b" "${args[@]}" 2>&1 >/dev/null)"
  eval "$changed"
  echo "$b near, first open after a change: $(count "$b" "${args[@]}")"
done
