# KeyLedger: `make run` starts the local stack, `make test` runs every test.
# Both create .venv and install what they need on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat requirements.txt layers/requirements.txt | sha1sum | cut -c1-12)
PYTEST_ARGS ?=
# `make test` spreads the test files over pytest-xdist workers; each file runs whole on one worker,
# so an e2e module's Chromium, fuzz stack or local stack is made once, as in a serial run
# (--dist loadgroup would be finer, but pytest-xdist 3.8 cannot set its groups under pytest 9).
# More workers than the 2 cores pay: e2e tests mostly wait on subprocesses and browsers.
# PYTEST_WORKERS=0 runs serially.
PYTEST_WORKERS ?= 4
XDIST := -n $(PYTEST_WORKERS) --dist loadfile
STAGE ?= dev
ARGS ?=

.PHONY: help venv portal browser run test test-fast fuzz load bench bench-peers lint clean package deploy destroy

help:
	@echo "make run    start the local stack (DynamoDB on moto, API, portal, demo upstream)"
	@echo "make test   run the whole test suite"
	@echo "make fuzz   schemathesis against the local stack, longer than in make test (FUZZ_SECONDS per role)"
	@echo "make load   the full load test against the local stack (2,000 proxied requests)"
	@echo "make bench  print the figures table (import time, sizes, DynamoDB calls, latency, CPU, cost)"
	@echo "make bench-peers  KeyLedger's local stack beside LiteLLM's proxy (installs it under .bench/ once)"
	@echo "make lint   ruff and mypy over the code (settings in pyproject.toml)"
	@echo "make package STAGE=dev   build/package/<stage>: JSON CloudFormation + app zip + layer zip"
	@echo "make deploy  STAGE=dev   package, then create/update the stack and publish the portal"
	@echo "make destroy STAGE=dev   delete the stack, keep the tables (ARGS=--delete-tables to drop them)"

$(STAMP): requirements.txt layers/requirements.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@# chalice requires pip<26.3
	$(BIN)/python -m pip install --quiet --disable-pip-version-check 'pip<26.3'
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@# functions/ on the venv's path, so `.venv/bin/lint-imports` (and a plain `python`) finds chalicelib
	@$(BIN)/python -c 'import sysconfig; print(sysconfig.get_path("purelib"))' | xargs -I{} sh -c 'echo "$(CURDIR)/functions" > {}/keyledger-functions.pth'
	@rm -f $(VENV)/.installed-*
	@touch $@

venv: $(STAMP)

# The portal: npm ci when node_modules is missing or the lockfile changed, then the build
# (portal/dist, not committed).
PORTAL_STAMP := portal/node_modules/.lock-$(shell sha1sum portal/package-lock.json 2>/dev/null | cut -c1-12)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

$(PORTAL_STAMP): portal/package-lock.json
	cd portal && npm ci --no-audit --no-fund
	@touch $@

portal: $(PORTAL_STAMP)
	cd portal && node build.mjs

# Debian's Chromium for the browser tests (Playwright drives it; it never downloads browsers),
# with a small CJK font so the Chinese screenshots show characters.
browser:
	@test -x /usr/bin/chromium || ($(SUDO) apt-get update && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium fonts-wqy-microhei)

run: venv portal
	$(BIN)/python infra/local.py

# pytest exits 5 when it collected nothing; that is not a failure of the build itself.
test: venv portal browser
	$(BIN)/python -m pytest $(XDIST) $(PYTEST_ARGS); rc=$$?; if [ $$rc -eq 5 ]; then echo "no tests collected"; exit 0; fi; exit $$rc

test-fast: venv
	$(BIN)/python -m pytest $(XDIST) -m "not e2e" $(PYTEST_ARGS)

FUZZ_SECONDS ?= 240
fuzz: venv
	FUZZ_SECONDS=$(FUZZ_SECONDS) $(BIN)/python -m pytest tests/e2e/test_fuzz.py $(PYTEST_ARGS)

load: venv
	LOAD_REQUESTS=2000 $(BIN)/python -m pytest -s tests/e2e/test_load.py $(PYTEST_ARGS)

# bench/run.py prints one table; bench/proxy.py alone prints the proxy's figures (BENCH_N requests);
# bench/scale.py replays SCALE_N requests of one key against the store layer (ceilings, conflicts, cost).
BENCH_N ?= 200
SCALE_N ?= 400
bench: venv
	$(BIN)/python bench/run.py --requests $(BENCH_N)
	$(BIN)/python bench/scale.py $(SCALE_N)

# The comparison with LiteLLM's proxy (pinned, installed into .bench/ on first use; needs the
# package registry once). ARGS passes options, e.g. ARGS="--requests 100 --seconds 5".
bench-peers: venv
	$(BIN)/python bench/peers.py $(ARGS)

# mypy takes what to check from pyproject.toml ([tool.mypy] files).
lint: venv
	$(BIN)/python -m ruff check functions infra tests bench
	$(BIN)/python -m mypy
	$(BIN)/lint-imports

# Deploy (docs/deploy.md). ARGS passes options through, e.g. ARGS="--profile ops --region eu-west-1".
package: venv
	$(BIN)/python -m infra.package --stage $(STAGE)

deploy: package
	$(BIN)/python -m infra.deploy deploy --stage $(STAGE) $(ARGS)

destroy: venv
	$(BIN)/python -m infra.deploy destroy --stage $(STAGE) $(ARGS)

clean:
	rm -rf build .pytest_cache portal/dist
