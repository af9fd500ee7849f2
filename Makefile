# abs-bench: the README's commands. Builds share one target dir outside the clone (as CI does).
export CARGO_TARGET_DIR ?= $(HOME)/.cache/abs-bench/target
BIN := $(CARGO_TARGET_DIR)/release/abs-bench

.PHONY: example test build bench lint

## Run ABS on the analytic learner and write results to out/example/.
example: build
	$(BIN) run examples/analytic-abs.yaml --out out/example --csv

build:
	cargo build --release -p abs-bench

## Every test of the workspace (unit, property, end-to-end; benches run once as smoke tests).
test:
	cargo test --workspace --all-targets

## Criterion benches (aggregation kernel bandwidth, engine rounds/s).
bench:
	cargo bench -p abs-bench

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings
