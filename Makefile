# Pylon — the two commands: `make run` and `make test`. See README.md.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# CI builds in a fresh clone each time: keep its target dir outside the clone so the
# next run is warm. Developers keep the usual ./target unless they set it.
ifeq ($(CI),true)
export CARGO_TARGET_DIR ?= $(HOME)/.cache/pylon/target
endif
TARGET_DIR := $(or $(CARGO_TARGET_DIR),target)
PYLON := $(TARGET_DIR)/debug/pylon
# Connection settings of the local stack, for the app and the tests.
STACK_ENV = eval "$$(bash deploy/local/stack.sh env)"

.PHONY: help
help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

.PHONY: deps
deps: ## install the build and test prerequisites that are missing (Debian)
	@bash deploy/local/deps.sh

.PHONY: stack
stack: deps ## start NATS (JetStream), PostgreSQL and ClickHouse if they are not running
	@bash deploy/local/stack.sh up

.PHONY: stack-down
stack-down: ## stop what `make stack` started (never the machine's own servers)
	@bash deploy/local/stack.sh down

.PHONY: build
build: deps
	cargo build --workspace --locked

.PHONY: migrate
migrate: stack build ## apply every migration to the local stack
	@$(STACK_ENV) && $(PYLON) migrate

.PHONY: run
run: migrate ## run everything locally (pylon run all) and print where to look
	@$(STACK_ENV) && PYLON_BIN=$(PYLON) bash deploy/local/run.sh

.PHONY: test
test: stack ## run every test against the real local stack
	cargo build --workspace --all-targets --locked
	@$(STACK_ENV) && cargo test --workspace --locked --no-fail-fast

.PHONY: lint
lint: deps ## rustfmt, clippy -D warnings, layering rules, Helm chart validation
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets --locked -- -D warnings
	bash deploy/tools/check-layering.sh
	bash deploy/tools/lint-chart.sh

.PHONY: bench
bench: ## criterion benchmarks (results go in docs/benchmarks.md)
	cargo bench --workspace --locked

.PHONY: clean
clean:
	cargo clean
