# mockloop: `make run` serves on http://127.0.0.1:8000; `make test` runs the whole suite.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint typecheck unit schema clean audit

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/mockloop serve

lint: $(STAMP)
	$(BIN)/ruff check interviewer server tests scripts
	$(BIN)/ruff format --check interviewer server tests scripts

typecheck: $(STAMP)
	$(BIN)/mypy

# The fast part: engine, scenarios, test plans, server with fake speech.
unit: $(STAMP)
	$(BIN)/pytest -q -m "not slow"

# Installs and starts what the suite needs (Debian chromium, a PostgreSQL cluster) first.
test: $(STAMP) lint typecheck
	$(BIN)/mockloop scenarios check
	# The listening evaluation: a floor just under today's figures (see README, "How well
	# the interviewer listens"), so a change that makes it listen worse fails. The target
	# is 95% overall and per category; it is not reached yet.
	$(BIN)/mockloop eval --min 0.90 --min-category 0.80
	# The rubric against labelled complete rounds: within-one agreement at least 90%
	# overall; per criterion the target is 90% too, not yet reached by every criterion (see
	# README, "How the rubric agrees with a senior interviewer"), so the floor is just
	# under today's lowest.
	$(BIN)/mockloop eval --rubric --min 0.90 --min-category 0.65
	MOCKLOOP_TEST_PG_URL="$${MOCKLOOP_TEST_PG_URL:-$$(scripts/test-services.sh)}" $(BIN)/pytest -q

# Known vulnerabilities in the installed dependencies (needs the vulnerability service).
# The project itself is skipped (it is not published); --strict fails when a dependency
# could not be looked up, rather than report a vacuous "no known vulnerabilities"
# (`make audit AUDIT_FLAGS=` lists what could not be checked and passes).
AUDIT_FLAGS ?= --strict
audit: $(STAMP)
	$(BIN)/pip-audit $(AUDIT_FLAGS) --skip-editable --progress-spinner off

schema: $(STAMP)
	$(BIN)/mockloop scenarios schema > scenarios/scenario.schema.json

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
