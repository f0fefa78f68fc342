# Sourced by the bench scripts: the project as it was at an earlier commit, built once, for their
# before/after rows. Each commit gets a worktree and a target directory of its own under
# target/bench/at-<commit>/, so this tree's builds stay warm, the two never share artifacts (cargo
# names a member's artifacts by its path within the workspace), and a build made once is reused by
# every script in the same `make bench`. Run from the repository's root.
#   before_dir COMMIT  the directory (its worktree is src/, its target directory target/)
#   before_cli COMMIT  its `waystation` (release profile)
#   before_app COMMIT  its app (profile app, with its own UI embedded)

before_dir() {
  local commit dir
  commit=$(git rev-parse --short=12 "$1^{commit}")
  dir="$PWD/target/bench/at-$commit"
  if [ ! -d "$dir/src" ]; then
    git worktree prune
    git worktree add -q -f --detach "$dir/src" "$commit" >&2
  fi
  echo "$dir"
}

before_cli() {
  local dir
  dir=$(before_dir "$1")
  if [ ! -x "$dir/waystation" ]; then
    echo "bench: building waystation as it was at $1 (once; kept in $dir)" >&2
    (cd "$dir/src" && CARGO_TARGET_DIR="$dir/target" cargo build --release -q -p waystation-cli) >&2
    cp "$dir/target/release/waystation" "$dir/waystation"
  fi
  echo "$dir/waystation"
}

before_app() {
  local dir
  dir=$(before_dir "$1")
  if [ ! -x "$dir/waystation-app-before" ]; then
    echo "bench: building the app as it was at $1 (once; kept in $dir)" >&2
    (cd "$dir/src/ui" && npm ci --no-audit --no-fund --silent && npm run build --silent >/dev/null) >&2
    (cd "$dir/src" && CARGO_TARGET_DIR="$dir/target" cargo build --profile app -q -p waystation-app) >&2
    # Its own name, so that a process listing tells it from this tree's app.
    cp "$dir/target/app/waystation-app" "$dir/waystation-app-before"
  fi
  echo "$dir/waystation-app-before"
}
