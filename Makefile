# Every routine task of the project. `make run` and `make test` set up what they need themselves.
PYTHON_VERSION ?= 3.11
VENV := .venv
PY := $(VENV)/bin/python
# checkov pins an older boto3 than ours: it gets an environment of its own (see pyproject.toml).
SCAN_VENV := .venv-scan
export PYTHONPATH := $(CURDIR)
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export CDK_OUTDIR := cdk.out
# Defined before the rules that name it: make expands a rule's prerequisites as it reads the rule.
# The JavaScript that runs outside Python (mapping templates, CloudFront Functions) and its
# packages, pinned by package-lock.json; installed again only when the lockfile changes.
NODE_MODULES := node_modules/.installed

.PHONY: run test lint format synth cost bench deps clean scan-tools system-run system-test

## run: the whole waiting room on this machine (redis-server, a moto server, every API, both pages, and the edge gate in front of a sample shop)
run: $(VENV)/.installed $(NODE_MODULES) system-run
	$(VENV)/bin/vwr local --protect $(ARGS)

## test: lint, then the JavaScript's tests (every *.test.mjs, by node --test), then every level of
## Python tests (unit, integration, infrastructure, security, e2e, browser)
test: $(VENV)/.installed $(SCAN_VENV)/.installed $(NODE_MODULES) system-test
	$(VENV)/bin/ruff check .
	node --test $(NODE_TESTS)
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.installed
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

## synth: every stack's template into cdk.out/ (cdk-nag runs as part of it)
synth: $(VENV)/.installed
	@scripts/install-system.sh node:nodejs
	$(PY) app.py

## cost: the idle monthly cost of each stack, from the synthesized templates
cost: synth
	$(PY) -m stacks.cost cdk.out

## bench: handler micro-benchmarks and a burst through the local runtime, written to benchmarks/results/
bench: $(VENV)/.installed system-run
	$(PY) -m pytest benchmarks --benchmark-only -q
	$(VENV)/bin/vwr load --visitors 2000 --rate 200 --output benchmarks/results/load

## deps: re-pin requirements/*.txt from pyproject.toml
deps:
	$(UV) pip compile pyproject.toml -o requirements/lambda.txt -q --python-version 3.12 --no-header
	$(UV) pip compile pyproject.toml --all-extras --group dev -o requirements/dev.txt -q --python-version $(PYTHON_VERSION)
	$(UV) pip compile --group pyproject.toml:scan -o requirements/scan.txt -q --python-version $(PYTHON_VERSION) --no-header

# uv from PATH, or installed for python3 (Debian's own Python wants --break-system-packages).
UV = $(shell command -v uv 2>/dev/null || echo "python3 -m uv")

$(VENV)/.installed: requirements/dev.txt pyproject.toml
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 \
		|| python3 -m pip install -q uv || python3 -m pip install -q --break-system-packages uv
	$(UV) venv -q --allow-existing --python $(PYTHON_VERSION) $(VENV)
	$(UV) pip install -q --python $(PY) --compile-bytecode -r requirements/dev.txt
	$(UV) pip install -q --python $(PY) --no-deps -e .
	touch $@

# Node's tests live next to the file they test, named *.test.mjs.
NODE_TESTS = $(shell find . -name '*.test.mjs' -not -path './node_modules/*' -not -path './.venv*' \
	-not -path './cdk.out/*' | sort)

$(NODE_MODULES): package-lock.json package.json
	@scripts/install-system.sh node:nodejs npm:npm
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

## scan-tools: checkov in its own environment (.venv-scan), for tests/infrastructure
scan-tools: $(SCAN_VENV)/.installed

$(SCAN_VENV)/.installed: requirements/scan.txt
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 \
		|| python3 -m pip install -q uv || python3 -m pip install -q --break-system-packages uv
	$(UV) venv -q --allow-existing --python $(PYTHON_VERSION) $(SCAN_VENV)
	$(UV) pip install -q --python $(SCAN_VENV)/bin/python --compile-bytecode -r requirements/scan.txt
	touch $@

system-run:
	@scripts/install-system.sh redis-server node:nodejs

system-test:
	@scripts/install-system.sh redis-server chromium node:nodejs npm:npm

clean:
	rm -rf $(VENV) $(SCAN_VENV) node_modules cdk.out .pytest_cache benchmarks/results tests/browser/artifacts
