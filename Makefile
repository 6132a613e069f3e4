# srevents — polling events for SmartRecruiters. `make help` lists the targets.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ARGS ?=
export PYTHONPATH := $(CURDIR)/layers/common:$(CURDIR)

.DEFAULT_GOAL := help

$(STAMP): requirements-dev.txt layers/common/requirements.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade pip
	@$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	@touch $(STAMP)

.PHONY: help
help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

.PHONY: venv
venv: $(STAMP) ## Create .venv and install the pinned dependencies

.PHONY: run
run: $(STAMP) ## Run the whole pipeline locally (make run ARGS="--help" for flags)
	@$(BIN)/python -m devstack $(ARGS)

.PHONY: test
test: $(STAMP) ## Run the whole test suite
	@$(BIN)/python -m pytest $(ARGS)

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
