# Waystation (歇脚). `make run` sets up and runs the CLI; `make test` sets up and runs every check.
SHELL := /bin/bash
export PATH := $(HOME)/.cargo/bin:$(PATH)

# What `make run` asks: the ten nearest stations to Shenzhen's civic centre.
ARGS ?= near 22.543,114.058 -n 10

.PHONY: setup run build test bench

setup:
	@scripts/setup.sh

build: setup
	cargo build --release -p waystation-cli

run: build
	./target/release/waystation $(ARGS)

test: setup
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets --locked -- -D warnings
	mkdir -p target
	set -o pipefail; cargo test --workspace --locked 2>&1 | tee target/test-output.log
	@awk '/^test result:/ { passed += $$4; failed += $$6 } END { printf "tests: %d passed, %d failed\n", passed, failed }' target/test-output.log

bench: setup
	scripts/bench.sh
	scripts/bench-server.sh
