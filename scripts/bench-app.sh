#!/usr/bin/env bash
# The app's figures in BENCHMARKS.md: launch to first list (release build, under Xvfb), the built UI's
# size, the stripped release binary, the .deb bundle, memory with the map open against a minimal Tauri
# app, the map's time to first render and its frames while panning with 200,000 stations — beside the
# app built at BEFORE.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

# The app as it was at BEFORE (a commit; empty for none), built the same way and kept aside, for the
# before/after rows: by default the commit before the map was answered per view (issue 12).
before=${BEFORE-637d10b}
before_app=""
if [ -n "$before" ]; then
  src=target/bench/before-src
  [ -d "$src" ] || git worktree add -f "$src" "$before" >/dev/null
  git -C "$src" checkout -q --detach "$before"
  (cd "$src/ui" && npm ci --no-audit --no-fund --silent && npm run build --silent >/dev/null)
  (cd "$src" && CARGO_TARGET_DIR="$root/target" cargo build --profile app -q -p waystation-app)
  cp target/app/waystation-app target/bench/waystation-app-before
  before_app="$PWD/target/bench/waystation-app-before"
  # Cargo names a workspace member's artifacts by its path within the workspace, so the two trees'
  # share names here: drop the old tree's, or the build below would take them as fresh.
  cargo clean -q --profile app $(printf -- '-p %s ' waystation-catalog waystation-synthetic waystation-cli \
    waystation-postgres waystation-server waystation-sync waystation-app)
fi
(cd ui && npm ci --no-audit --no-fund --silent && npm run build --silent >/dev/null)
cargo build --release -q -p waystation-cli
cargo build --profile app -q -p waystation-app
# The anchor: a minimal Tauri app built the same way.
cargo build --profile app -q -p waystation-app --example minimal
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "## machine"
echo "$(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(lscpu | sed -n 's/^Model name: *//p')"

echo "## sizes"
gz() { gzip -9 -c "$1" | wc -c; }
main_js=$(ls ui/dist/assets/index-*.js); main_css=$(ls ui/dist/assets/index-*.css)
map_js=$(ls ui/dist/assets/map-*.js); worker=$(ls ui/dist/assets/maplibre-gl-worker-*.mjs)
echo "UI without the map library: $(( $(gz ui/dist/index.html) + $(gz "$main_js") + $(gz "$main_css") )) bytes gzipped (html + js + css)"
echo "map chunk (MapLibre GL + map.ts): $(gz "$map_js") bytes gzipped; its worker $(gz "$worker") bytes gzipped"
echo "app binary (profile app, stripped): $(stat -c %s target/app/waystation-app) bytes; minimal Tauri app: $(stat -c %s target/app/examples/minimal) bytes"
(cd src-tauri && npx --yes @tauri-apps/cli@2.12 build --bundles deb -- --profile app >"$work/deb.log" 2>&1) || { tail -20 "$work/deb.log"; exit 1; }
deb=$(ls target/app/bundle/deb/*.deb)
echo ".deb bundle: $(stat -c %s "$deb") bytes ($(basename "$deb"))"

echo "## catalogs"
mkdir -p "$work/d30k/org.waystation.app" "$work/d200k/org.waystation.app"
# The 30k catalog is the app's own seed, created once (as the app would on its first launch).
XDG_DATA_HOME="$work/cli" ./target/release/waystation info >/dev/null
cp "$work/cli/waystation/catalog.sqlite" "$work/d30k/org.waystation.app/catalog.sqlite"
./target/release/waystation gen --count 200000 --seed 1 -o "$work/national.csv" >/dev/null
./target/release/waystation --catalog "$work/d200k/org.waystation.app/catalog.sqlite" import "$work/national.csv" >/dev/null
mkdir -p "$work/d1/org.waystation.app"
./target/release/waystation gen --count 1 --seed 1 -o "$work/one.csv" >/dev/null
./target/release/waystation --catalog "$work/d1/org.waystation.app/catalog.sqlite" import "$work/one.csv" >/dev/null
echo "## app (under Xvfb, through tauri-driver)"
(cd tests/e2e && npm ci --no-audit --no-fund --silent)
xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- env NO_AT_BRIDGE=1 \
  node tests/e2e/bench-app.mjs "$PWD/target/app/waystation-app" "$PWD/target/app/examples/minimal" \
  "$work/d30k" "$work/d200k" "$work/d1" $before_app 2> >(grep -v -e '^dbus-daemon' -e 'portal' -e 'atspi' -e '^$' -e 'WARNING' >&2)
