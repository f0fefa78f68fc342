#!/usr/bin/env bash
# Reproduces the figures in BENCHMARKS.md: whole-process `waystation near` on a 200,000-station
# national catalog (hyperfine), resident memory, import and first-use seed times, sizes, and the
# criterion comparison of the index with SQLite's R*Tree and a brute-force scan.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v hyperfine >/dev/null 2>&1 || {
  echo "bench: installing hyperfine"
  if [ "$(id -u)" -eq 0 ]; then apt-get install -y -q hyperfine; else sudo apt-get install -y -q hyperfine; fi
}

cargo build --release -q -p waystation-cli
bin=./target/release/waystation
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
catalog="$work/national.sqlite"

echo "## machine"
echo "$(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(lscpu | sed -n 's/^Model name: *//p')"

echo "## generate and import 200,000 stations"
/usr/bin/time -f "gen: %e s, max RSS %M KB" "$bin" gen --count 200000 --seed 1 -o "$work/national.csv"
/usr/bin/time -f "import: %e s, max RSS %M KB" "$bin" --catalog "$catalog" import "$work/national.csv"
echo "CSV $(du -h "$work/national.csv" | cut -f1), catalog $(du -h "$catalog" | cut -f1)"
echo "## what the imported file is made of"
"$bin" --catalog "$catalog" --lang en info --sizes | sed -n '/^What each part costs/,$p'

query=(--catalog "$catalog" near 30.59,114.31 -n 10 --service shower,drinking_water --json)
echo "## whole-process near (Wuhan, shower + drinking water, k = 10)"
hyperfine -N --warmup 3 --runs 40 --export-json "$work/near.json" "$bin ${query[*]}" | sed -n '1,4p'
python3 -c "import json,statistics;r=json.load(open('$work/near.json'))['results'][0];print('median %.1f ms' % (statistics.median(r['times'])*1000))"
/usr/bin/time -f "resident memory (max RSS): %M KB" "$bin" "${query[@]}" >/dev/null

echo "## first use: the built-in seed catalog"
/usr/bin/time -f "seed + first query: %e s" env -u WAYSTATION_CATALOG XDG_DATA_HOME="$work/data" \
  "$bin" near 22.543,114.058 -n 1 >/dev/null 2>"$work/seed.err"
tail -n 1 "$work/seed.err"
seed="$work/data/waystation/catalog.sqlite"
echo "seed catalog $(du -h "$seed" | cut -f1), gzip -9: $(gzip -9 -c "$seed" | wc -c | awk '{printf "%.1f MB", $1/1e6}')"
echo "release binary $(du -h "$bin" | cut -f1) (the seed is generated from the embedded reference geography)"

echo "## criterion: index vs SQLite R*Tree vs brute force; open + index build"
cargo bench -q -p waystation-catalog --bench nearest 2>&1 | grep -E "^[a-z_0-9/]+$|time:|thrpt:|agree"

echo "## criterion: a map view from the clusters vs grouping on the spot; making the clusters; answer sizes"
cargo bench -q -p waystation-catalog --bench map 2>&1 | grep -E "^[a-z_0-9/.]+$|time:|thrpt:|bytes"

echo "## a 1 % change applied on the device, page by page, while the window asks nearest"
cargo bench -q -p waystation-catalog --bench apply 2>&1 | grep -E "applied|meanwhile|file|^  "

echo "## criterion: search over the light text index vs FTS5 with positions; both indexes' size"
cargo bench -q -p waystation-catalog --bench search 2>&1 | grep -E "^[a-z_0-9/]+|time:|thrpt:|text index|queries"
