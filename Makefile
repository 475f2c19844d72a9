# configsvc — every Python command runs through `uv run python -m ...`.
.DEFAULT_GOAL := help
UV ?= uv
RUN := $(UV) run python -m
# On a machine without uv, one line that says what to install (not "make: uv: No such file or directory").
# Expanded only when a recipe that needs uv runs, so help, tools and clean work without it.
NEED_UV = $(if $(shell command -v $(UV) 2>/dev/null),,$(error $(UV) is not installed: install uv (https://docs.astral.sh/uv/getting-started/installation/), then run make again))

.PHONY: help install tools run serve seed token migrate migrate-status test test-fast linearizability failover fuzz soak bench bench-client lint fmt clean

help: ## List every target with what it does
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  make %-15s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

install: ## Install the project and its dev tools into .venv (uv sync)
	$(NEED_UV)
	$(UV) sync

tools: ## Install the system tools the benchmark needs (wrk, and etcd as its peer; with apt-get) if missing
	@missing=""; command -v wrk >/dev/null || missing="$$missing wrk"; command -v etcd >/dev/null || missing="$$missing etcd-server"; \
	if [ -n "$$missing" ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; fi

run: install ## Serve the API for development on HOST:PORT (embedded PostgreSQL 16 when DATABASE_URL is empty)
	$(RUN) scripts.run

serve: install ## Production serving: WORKERS processes, uvloop + httptools, no reload, access log only at DEBUG
	$(RUN) scripts.serve

seed: install ## Load demo applications and configurations (idempotent; safe while `make run` serves)
	$(RUN) scripts.seed

token: install ## Create a token and print its secret: make token NAME=ci SCOPES="write:payments read:*" (the first turns access control on)
	@test -n "$(NAME)" || { echo 'usage: make token NAME=<name> SCOPES="<scope> ..." [EXPIRES_IN_DAYS=<days>]' >&2; exit 2; }
	@test -n "$(SCOPES)" || { echo 'usage: make token NAME=<name> SCOPES="<scope> ..." [EXPIRES_IN_DAYS=<days>]' >&2; exit 2; }
	@$(RUN) scripts.tokens create "$(NAME)" $(foreach scope,$(SCOPES),--scope "$(scope)") $(if $(EXPIRES_IN_DAYS),--expires-in $(EXPIRES_IN_DAYS))

migrate: install ## Apply pending migrations to the configured database
	$(RUN) scripts.migrate apply

migrate-status: install ## List applied and pending migrations
	$(RUN) scripts.migrate status

test: install ## Run the test suite against PostgreSQL 16 (embedded unless TEST_DATABASE_URL is set); make failover runs the rest
	$(RUN) pytest

test-fast: install ## The inner loop: the suite without the tests marked slow (real servers, restarts, timeouts)
	$(RUN) pytest -m "not slow and not failover"

linearizability: install ## Check 50 concurrent histories through two serve instances for stale reads (LINEARIZABILITY_RUNS, _SECONDS)
	LINEARIZABILITY_RUNS=$${LINEARIZABILITY_RUNS:-50} LINEARIZABILITY_SECONDS=$${LINEARIZABILITY_SECONDS:-12} \
	LINEARIZABILITY_LATE_WRITERS=$${LINEARIZABILITY_LATE_WRITERS:-2} $(RUN) pytest test/linearizable_test.py -k histories_of -s

failover: install ## Kill the primary of a primary/standby pair under load, promote the standby, check nothing acknowledged is lost (FAILOVER_RUNS)
	FAILOVER_RUNS=$${FAILOVER_RUNS:-1} $(RUN) pytest test/failover_test.py -m failover -s

fuzz: install ## Fuzz the API against its OpenAPI description (schemathesis, fixed seed; FUZZ_EXAMPLES=300)
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-300} $(RUN) pytest test/fuzz_test.py

soak: install ## One minute of mixed concurrent load on a local server, then verify no acknowledged write was lost
	$(RUN) scripts.soak

bench: install ## Benchmark serve mode with wrk, interleaved with the /healthz ceiling and etcd (needs wrk, etcd)
	$(RUN) scripts.bench

bench-client: install ## Measure the client library and CLI: watch delay beside raw HTTP, cached get with the service down, export/import
	$(RUN) scripts.benchmark.client

lint: install ## Check style and formatting (ruff check + ruff format --check)
	$(RUN) ruff check .
	$(RUN) ruff format --check .

fmt: install ## Format the code and apply safe lint fixes
	$(RUN) ruff check --fix .
	$(RUN) ruff format .

clean: ## Remove .venv, caches and the embedded database under .data/
	rm -rf .venv .data .pytest_cache .ruff_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
