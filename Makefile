# Waystation (歇脚). `make run` sets up and opens the desktop app; `make test` sets up and runs every check.
SHELL := /bin/bash
export PATH := $(HOME)/.cargo/bin:$(PATH)

# What `make cli` asks: the ten nearest stations to Shenzhen's civic centre.
ARGS ?= near 22.543,114.058 -n 10

.PHONY: setup run app build cli serve ui test bench fuzz

setup:
	@scripts/setup.sh

# The desktop app (the size-first `app` profile), with the built UI compiled in.
app: setup ui
	cargo build --profile app -p waystation-app

run: app
	./target/app/waystation-app

# The `waystation` command.
build: setup
	cargo build --release -p waystation-cli

cli: build
	./target/release/waystation $(ARGS)

# The second way in: the same UI in a browser, over `waystation serve`.
serve: build ui
	./target/release/waystation serve --addr 127.0.0.1:8080 --ui ui/dist

# The web UI: installed from the lock file, type-checked and built into ui/dist.
ui: setup
	cd ui && npm ci --no-audit --no-fund && npm run build

test: setup ui
	cd ui && npm test
	cd tests/e2e && npm ci --no-audit --no-fund
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets --locked -- -D warnings
	mkdir -p target
	set -o pipefail; url="$$(scripts/postgres.sh)"; export WAYSTATION_TEST_DATABASE_URL="$$url"; \
		cargo test --workspace --locked 2>&1 | tee target/test-output.log && \
		{ WAYSTATION_TEST_STORE=postgres cargo test -p waystation-server -p waystation-app --locked && \
		WAYSTATION_TEST_STORE=postgres cargo test -p waystation-cli --test sync --locked; } 2>&1 \
		| tee -a target/test-output.log
	set -o pipefail; cd tests/e2e && npm test 2>&1 | tee ../../target/e2e-output.log
	cargo build -p waystation-app --locked
	set -o pipefail; cd tests/e2e && xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- \
		env NO_AT_BRIDGE=1 npm run test:window 2>&1 | grep -v -e '^(/usr/libexec' -e '^\[[WE]\]' -e '^dbus-daemon' \
		| tee -a ../../target/e2e-output.log
	@awk '/^test result:/ { passed += $$4; failed += $$6 } END { printf "cargo tests: %d passed, %d failed\n", passed, failed }' target/test-output.log
	@awk '/^# pass/ { passed += $$3 } /^# fail/ { failed += $$3 } END { printf "browser and window tests: %d passed, %d failed\n", passed, failed }' target/e2e-output.log
	@awk '/^test result:/ { p += $$4; f += $$6 } /^# pass/ { p += $$3 } /^# fail/ { f += $$3 } END { printf "tests: %d passed, %d failed\n", p, f }' target/test-output.log target/e2e-output.log

# Fuzzing: every cargo-fuzz target for FUZZ_SECONDS (default 120) from fuzz/corpus, then
# schemathesis against a running server's /v1/openapi.json (installs cargo-fuzz, schemathesis).
fuzz: setup
	scripts/fuzz.sh

bench: setup
	scripts/bench.sh
	scripts/bench-device.sh
	scripts/bench-phone.sh
	scripts/bench-server.sh
	scripts/bench-app.sh
	scripts/bench-attack.sh
	scripts/bench-feed-positions.sh
	scripts/bench-replicas.sh
