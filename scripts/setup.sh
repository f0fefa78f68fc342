#!/usr/bin/env bash
# Installs what building and testing Waystation needs on a fresh Debian machine, and nothing
# that is already there: a C compiler (SQLite is compiled in), and Rust with rustfmt and clippy.
set -euo pipefail

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing_debs=()
command -v cc >/dev/null 2>&1 || missing_debs+=(build-essential)
command -v curl >/dev/null 2>&1 || missing_debs+=(curl ca-certificates)
# The web UI is built with Node.js; its browser tests drive Debian's Chromium, with CJK fonts so
# the screenshots show Chinese.
command -v npm >/dev/null 2>&1 || missing_debs+=(nodejs npm)
[ -x /usr/bin/chromium ] || missing_debs+=(chromium)
[ -d /usr/share/fonts/opentype/noto ] || missing_debs+=(fonts-noto-cjk)
[ -f /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ] || missing_debs+=(fonts-noto-color-emoji)
# The Tauri 2 app shell (src-tauri) builds against WebKitGTK.
command -v pkg-config >/dev/null 2>&1 || missing_debs+=(pkg-config)
# The real app window is tested under Xvfb through tauri-driver and WebKitWebDriver.
[ -x /usr/bin/WebKitWebDriver ] || missing_debs+=(webkit2gtk-driver)
command -v xvfb-run >/dev/null 2>&1 || missing_debs+=(xvfb xauth)
command -v dbus-run-session >/dev/null 2>&1 || missing_debs+=(dbus)
# The public catalog past one machine keeps its catalog in PostgreSQL; its tests start Debian's
# cluster (scripts/postgres.sh).
command -v pg_ctlcluster >/dev/null 2>&1 || missing_debs+=(postgresql)
if ! pkg-config --exists webkit2gtk-4.1 2>/dev/null; then
  missing_debs+=(libwebkit2gtk-4.1-dev libxdo-dev libssl-dev libayatana-appindicator3-dev librsvg2-dev)
fi
if [ "${#missing_debs[@]}" -gt 0 ]; then
  echo "setup: installing ${missing_debs[*]}"
  as_root apt-get update -q
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing_debs[@]}"
fi

if ! command -v cargo >/dev/null 2>&1 && [ -x "$HOME/.cargo/bin/cargo" ]; then
  export PATH="$HOME/.cargo/bin:$PATH"
fi
if ! command -v cargo >/dev/null 2>&1; then
  echo "setup: installing Rust (rustup, stable toolchain)"
  curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal
  export PATH="$HOME/.cargo/bin:$PATH"
fi
if command -v rustup >/dev/null 2>&1; then
  for component in rustfmt clippy; do
    rustup component list --installed 2>/dev/null | grep -q "^$component" || rustup component add "$component"
  done
fi
command -v tauri-driver >/dev/null 2>&1 || cargo install tauri-driver --locked
cargo --version
