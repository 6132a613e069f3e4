# srevents — polling events for SmartRecruiters. `make help` lists the targets.

# The interpreter .venv is made with. The functions run on Python 3.12 (template.yaml), so development
# uses 3.12 when one is installed: `python3.12` on PATH (checked to run: a pyenv shim may not), else the
# newest ~/.pyenv/versions/3.12.*; otherwise `python3`, which must be 3.11 or newer (the code stays
# 3.11-compatible). `make PYTHON=/path/to/python venv` chooses another.
# An existing .venv is kept whatever it was made with (3.11 included): nothing is rebuilt behind your back,
# and `make venv` says which Python it runs and how to move to 3.12 (`make clean venv`).
PYTHON ?= $(firstword $(foreach candidate,python3.12 $(lastword $(sort $(wildcard $(HOME)/.pyenv/versions/3.12.*/bin/python3.12))) python3,$(shell $(candidate) -c 'import sys; assert sys.version_info >= (3, 11)' >/dev/null 2>&1 && echo $(candidate))))
PYTHON_VERSION = $(if $(PYTHON),$(shell $(PYTHON) -c 'import platform; print(platform.python_version())' 2>/dev/null))
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ARGS ?=
# pytest-xdist workers for `make test` and the suites that run in parallel (0: one process, no xdist).
JOBS ?= auto
export PYTHONPATH := $(CURDIR)/layers/common:$(CURDIR)

.DEFAULT_GOAL := help

$(STAMP): requirements-dev.txt layers/common/requirements.txt
	@test -x $(BIN)/python || { \
	  test -n "$(PYTHON)" || { echo "make: no Python 3.11+ found (python3.12, ~/.pyenv/versions/3.12.*, python3); set PYTHON=" >&2; exit 1; }; \
	  echo "make: creating $(VENV) with $(PYTHON) (Python $(PYTHON_VERSION))"; \
	  $(PYTHON) -m venv $(VENV); }
	@$(BIN)/python -m pip install --quiet --upgrade pip
	@$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	@touch $(STAMP)

.PHONY: help
help: ## List the targets
	@grep -E '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-17s %s\n", $$1, $$2}'

.PHONY: venv
venv: $(STAMP) ## Create .venv and install the pinned dependencies (Python 3.12 when installed)
	@version=$$($(BIN)/python -c 'import platform; print(platform.python_version())'); \
	echo "make: $(VENV) runs Python $$version ($$(readlink -f $(BIN)/python))"; \
	case "$$version" in 3.12.*) ;; \
	  *) echo "make: the functions run on Python 3.12; $(if $(filter 3.12.%,$(PYTHON_VERSION)),$(PYTHON) is installed: 'make clean venv' rebuilds $(VENV) with it,no 3.12 found ($(PYTHON) is $(PYTHON_VERSION)): this $(VENV) works, the code stays 3.11-compatible)";; \
	esac

.PHONY: run
run: $(STAMP) ## Run the whole pipeline locally (make run ARGS="--help" for flags)
	@$(BIN)/python -m devstack $(ARGS)

# The whole suite runs under pytest-xdist, JOBS workers: every test makes its own moto account, ports and
# temporary files, and docs/RELIABILITY.md is written by the controller after a full green run
# (tests/reliability/report_hooks.py). `--dist worksteal`: the test durations range from milliseconds to a
# minute (the fuzz tests), so each worker starts on its half of the suite, in order, and an idle worker takes
# tests from the end of the other's queue.
XDIST = -n $(JOBS) --dist worksteal

.PHONY: test
test: $(STAMP) ## Run the whole test suite (unit, integration, e2e, reliability), JOBS=auto workers
	@$(BIN)/python -m pytest $(XDIST) $(ARGS)

.PHONY: test-unit
test-unit: $(STAMP) ## Run the unit tests (one process: they take seconds)
	@$(BIN)/python -m pytest tests/unit $(ARGS)

.PHONY: test-integration
test-integration: $(STAMP) ## Run the integration tests (handlers on moto), JOBS=auto workers
	@$(BIN)/python -m pytest $(XDIST) tests/integration $(ARGS)

.PHONY: test-e2e
test-e2e: $(STAMP) ## Run the end-to-end tests (the local stack, the console in Chromium), JOBS=auto workers
	@$(BIN)/python -m pytest $(XDIST) tests/e2e $(ARGS)

.PHONY: test-reliability
test-reliability: $(STAMP) ## Run the reliability suite (writes docs/RELIABILITY.md when all green), JOBS=auto workers
	@$(BIN)/python -m pytest $(XDIST) tests/reliability $(ARGS)

.PHONY: bench
bench: $(STAMP) ## Run the benchmarks: one table and bench/results.json (ARGS="--quick" or "--only poll,e2e")
	@$(BIN)/python -m bench $(ARGS)

.PHONY: lint
lint: $(STAMP) ## ruff, mypy and cfn-lint
	@$(BIN)/ruff check .
	@$(BIN)/ruff format --check .
	@$(BIN)/mypy layers/common/srevents functions devstack
	@$(BIN)/cfn-lint template.yaml

.PHONY: format
format: $(STAMP) ## Format the code
	@$(BIN)/ruff format .
	@$(BIN)/ruff check --fix .

.PHONY: admin
admin: $(STAMP) ## Admin command (make admin ARGS="create-organization --name Acme --user-email a@acme.test")
	@$(BIN)/python -m srevents.admin $(ARGS)

.PHONY: deploy
deploy: ## sam build && sam deploy --guided (needs the AWS SAM CLI and credentials)
	sam build
	sam deploy --guided

.PHONY: clean
clean: ## Remove the virtual environment and caches
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache .aws-sam
