# mockloop: `make run` serves on http://127.0.0.1:8000; `make test` runs the whole suite.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint typecheck unit schema clean audit turn-model editor

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(MAKE) turn-model
	touch $(STAMP)

# Smart Turn v3.2 (end-of-turn audio classifier, BSD-2-Clause) is shipped only inside the
# pipecat-ai wheel: take that one file out of the pinned wheel, without the wheel's
# dependencies, and check its sha256 (server/speech/turn.py).
PIPECAT_PIN   := pipecat-ai==1.14.0
TURN_MODEL    := $(VENV)/share/mockloop/smart-turn-v3.2-cpu.onnx
TURN_MODEL_SHA := 2bb026316b14a660486a75b1733cd3fbab8c2fd0314dc9af7be49f8cca967e4f
turn-model:
	@if ! echo "$(TURN_MODEL_SHA)  $(TURN_MODEL)" | sha256sum -c --status 2>/dev/null; then \
	  tmp=$$(mktemp -d) && \
	  $(BIN)/python -m pip download --quiet --no-deps --dest "$$tmp" '$(PIPECAT_PIN)' && \
	  mkdir -p $(dir $(TURN_MODEL)) && \
	  $(BIN)/python -c 'import glob, sys, zipfile; sys.stdout.buffer.write(zipfile.ZipFile(glob.glob(sys.argv[1])[0]).read("pipecat/audio/turn/smart_turn/data/smart-turn-v3.2-cpu.onnx"))' "$$tmp/pipecat_ai-*.whl" > $(TURN_MODEL).part && \
	  rm -rf "$$tmp" && \
	  echo "$(TURN_MODEL_SHA)  $(TURN_MODEL).part" | sha256sum -c --quiet && \
	  mv $(TURN_MODEL).part $(TURN_MODEL); \
	fi

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
test: $(STAMP) turn-model lint typecheck
	$(BIN)/mockloop scenarios check
	# The listening evaluation (see README, "How well the interviewer listens"): the 95%
	# target overall and per category on the development set; on the studied sets (their
	# misses read, not yet at the target) and over all turns, held-out ones included,
	# floors just under the figures measured, so a change that makes it listen worse to new
	# people fails too. (The all-turns floor was 95% until holdout13 was added at its
	# first-run figure, 94% until holdout14 was, 93% until the 1,000 fresh turns of
	# holdout15, holdout16 and dev17 to dev19 were, at 64% to 70%; 90% until dev20 to dev25
	# were, at 64.0% to 79.0%; 88% overall and 80% per category, and 70% per category on the
	# studied sets, until dev29 to dev31 were, at 71.0% to 75.5%; 78% per category over all
	# turns, and 66% on the studied sets, until dev32, dev33 and holdout17 were, at 68.0%,
	# 69.0% and 83.0%, their reasons turns the weakest; 80% overall and 64% per category on
	# the studied sets, 76% per category over all turns, until the pass over dev34 to dev36
	# and holdout18 raised reasons from 71% to 79% over all turns.)
	$(BIN)/mockloop eval --dir scenarios/eval/dev --min 0.95 --min-category 0.95
	$(BIN)/mockloop eval --dir scenarios/eval/studied --min 0.82 --min-category 0.70
	$(BIN)/mockloop eval --min 0.87 --min-category 0.78
	# The rubric against labelled complete rounds: within-one agreement at least 90%
	# overall and for every criterion of every round type (see README, "How the rubric
	# agrees with a senior interviewer").
	$(BIN)/mockloop eval --rubric --min 0.90 --min-category 0.90
	MOCKLOOP_TEST_PG_URL="$${MOCKLOOP_TEST_PG_URL:-$$(scripts/test-services.sh)}" $(BIN)/pytest -q

# Known vulnerabilities in the installed dependencies (needs the vulnerability service).
# The project itself is skipped (it is not published); --strict fails when a dependency
# could not be looked up, rather than report a vacuous "no known vulnerabilities"
# (`make audit AUDIT_FLAGS=` lists what could not be checked and passes).
AUDIT_FLAGS ?= --strict
audit: $(STAMP)
	$(BIN)/pip-audit $(AUDIT_FLAGS) --skip-editable --progress-spinner off

# The code editor of the coding rounds (CodeMirror 6, pinned in web/editor/package-lock.json),
# bundled into one committed file: the container and CI have no npm step. Needs node and npm.
EDITOR_BANNER := /* mockloop code editor: CodeMirror 6 + Lezer (MIT). Built by `make editor`; sizes and licences in LICENSES.txt. */
editor:
	cd web/editor && npm ci --no-audit --no-fund && \
	  npx esbuild entry.js --bundle --format=esm --minify --legal-comments=none \
	    --banner:js='$(EDITOR_BANNER)' --metafile=node_modules/.editor-meta.json \
	    --outfile=../static/js/vendor/editor.js && \
	  node licenses.mjs node_modules/.editor-meta.json

schema: $(STAMP)
	$(BIN)/mockloop scenarios schema > scenarios/scenario.schema.json

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
