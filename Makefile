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

# The AWS SAM CLI is not a dependency of .venv (it pins an older boto3): install it your own way, or
# `python3 -m venv ~/.sam && ~/.sam/bin/pip install aws-sam-cli`, then SAM=~/.sam/bin/sam. `make lint` runs
# `sam validate --lint` (about 2 s, offline) when it is there and says it skipped it when not.
SAM ?= sam
SAM_FOUND = $(shell command -v $(SAM) 2>/dev/null)
export SAM_CLI_TELEMETRY ?= 0

.PHONY: lint
lint: $(STAMP) ## ruff, mypy, cfn-lint, and sam validate --lint when the SAM CLI is installed
	@$(BIN)/ruff check .
	@$(BIN)/ruff format --check .
	@$(BIN)/mypy layers/common/srevents functions devstack
	@$(BIN)/cfn-lint template.yaml
	@$(if $(SAM_FOUND),AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-us-east-1} $(SAM) validate --lint --template-file template.yaml,echo "make lint: '$(SAM)' not found: sam validate --lint skipped (SAM=/path/to/sam to run it)")

# Security checks that are not part of `make lint` (they need tools .venv does not hold): checkov and
# cfn-lint's serverless rules, each in its own virtual environment outside the repository (SECURITY_VENV).
# docs/SCALING.md#security-checks lists what they find and why each remaining finding does not apply.
SECURITY_VENV ?= $(HOME)/.cache/srevents-security-venv

$(SECURITY_VENV)/bin/checkov:
	python3 -m venv $(SECURITY_VENV)
	$(SECURITY_VENV)/bin/python -m pip install --quiet checkov cfn-lint-serverless

.PHONY: security
security: $(SECURITY_VENV)/bin/checkov ## checkov and cfn-lint's serverless rules on template.yaml (not part of make test)
	@$(SECURITY_VENV)/bin/checkov --quiet --compact --skip-download --framework cloudformation \
	  --config-file .checkov.yaml -f template.yaml
	@# The serverless rules' remaining findings do not apply (docs/SCALING.md#security-checks): ES2000 cannot
	@# see the conditional AccessLogSetting, WS1004 looks for /aws/lambda/<name> log groups where LoggingConfig
	@# names the function's own, ES6000 asks the dead-letter queues for a dead-letter queue, ES7000 asks the
	@# e-mail subscription for one.
	@$(SECURITY_VENV)/bin/cfn-lint --append-rules cfn_lint_serverless.rules \
	  --ignore-checks ES2000 WS1004 ES6000 ES7000 -- template.yaml

.PHONY: format
format: $(STAMP) ## Format the code
	@$(BIN)/ruff format .
	@$(BIN)/ruff check --fix .

.PHONY: admin
admin: $(STAMP) ## Admin command (make admin ARGS="create-organization --name Acme --user-email a@acme.test")
	@$(BIN)/python -m srevents.admin $(ARGS)

# Deploying: one stack per stage, srevents-<stage>, tagged project=srevents stage=<stage>. Settings per stage
# live in samconfig.toml under [<stage>.deploy.parameters] (`make deploy-guided` writes them);
# PARAMS="Name=value ..." replaces that section's parameter_overrides for one run. `sam build` needs a
# python3.12 on PATH: the newest ~/.pyenv/versions/3.12.* is put first when there is one.
STAGE ?=
PARAMS ?=
REGION ?=
PY312_BIN = $(dir $(lastword $(sort $(wildcard $(HOME)/.pyenv/versions/3.12.*/bin/python3.12))))
SAM_BUILD = $(if $(PY312_BIN),PATH="$(PY312_BIN):$$PATH") $(SAM) build
SAM_DEPLOY = $(SAM) deploy --config-env $(STAGE) --stack-name srevents-$(STAGE) \
  --tags project=srevents stage=$(STAGE) --capabilities CAPABILITY_IAM --resolve-s3 \
  $(if $(REGION),--region $(REGION)) $(if $(strip $(PARAMS)),--parameter-overrides $(PARAMS))

.PHONY: deploy-check
deploy-check:
	@test -n "$(STAGE)" || { echo "make: name the stage: make deploy STAGE=dev (stack srevents-dev)" >&2; exit 2; }
	@echo "$(STAGE)" | grep -Eq '^[a-z][a-z0-9-]{0,30}$$' || { echo "make: STAGE must be lower-case letters, digits and '-' (a stack name part)" >&2; exit 2; }
	@test -n "$(SAM_FOUND)" || { echo "make: the AWS SAM CLI ('$(SAM)') is not installed; SAM=/path/to/sam" >&2; exit 2; }

.PHONY: deploy
deploy: deploy-check ## Build and deploy stack srevents-<STAGE> without prompts (make deploy STAGE=prod [PARAMS="AlarmEmail=..."])
	$(SAM_BUILD)
	$(SAM_DEPLOY) --no-confirm-changeset --no-fail-on-empty-changeset

.PHONY: deploy-guided
deploy-guided: deploy-check ## First deployment of a stage: asks for every parameter and saves them in samconfig.toml
	$(SAM_BUILD)
	$(SAM_DEPLOY) --guided

.PHONY: clean
clean: ## Remove the virtual environment and caches
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache .aws-sam
