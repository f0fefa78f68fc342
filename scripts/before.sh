# Sourced by the bench scripts: the project as it was at an earlier commit, built once, for their
# before/after rows. Each commit gets a worktree and a target directory of its own under
# target/bench/at-<commit>/, so this tree's builds stay warm, the two never share artifacts (cargo
# names a member's artifacts by its path within the workspace), and a build made once is reused by
# every script in the same `make bench`. Run from the repository's root.
#   before_dir COMMIT  the directory (its worktree is src/, its target directory target/)
#   before_cli COMMIT  its `waystation` (release profile)
#   before_app COMMIT  its app (profile app, with its own UI embedded)
# They run inside `$(…)`, where `set -e` does not reach: each step says itself when it fails.

before_dir() {
  local commit dir
  commit=$(git rev-parse --verify -q "$1^{commit}") || { echo "bench: no commit $1 here" >&2; return 1; }
  dir="$PWD/target/bench/at-${commit:0:12}"
  # A worktree left half made (an interrupted run) is made again.
  if [ "$(git -C "$dir/src" rev-parse -q HEAD 2>/dev/null)" != "$commit" ]; then
    rm -rf "$dir/src"
    git worktree add -q -f --detach "$dir/src" "$commit" >&2 || return 1
  fi
  echo "$dir"
}

# Copies a built binary into place whole (a copy cut short would be taken as built next time).
keep() { cp "$1" "$2.part" && mv "$2.part" "$2"; }

before_cli() {
  local dir
  dir=$(before_dir "$1") || return 1
  if [ ! -x "$dir/waystation" ]; then
    echo "bench: building waystation as it was at $1 (once; kept in $dir)" >&2
    (cd "$dir/src" && CARGO_TARGET_DIR="$dir/target" cargo build --locked --release -q -p waystation-cli) >&2 \
      && keep "$dir/target/release/waystation" "$dir/waystation" || return 1
  fi
  echo "$dir/waystation"
}

# Named apart, so that a process listing tells it from this tree's app.
before_app() {
  local dir
  dir=$(before_dir "$1") || return 1
  if [ ! -x "$dir/waystation-app-before" ]; then
    echo "bench: building the app as it was at $1 (once; kept in $dir)" >&2
    (cd "$dir/src/ui" && npm ci --no-audit --no-fund --silent && npm run build --silent >/dev/null) >&2 \
      && (cd "$dir/src" && CARGO_TARGET_DIR="$dir/target" cargo build --locked --profile app -q -p waystation-app) >&2 \
      && keep "$dir/target/app/waystation-app" "$dir/waystation-app-before" || return 1
  fi
  echo "$dir/waystation-app-before"
}
