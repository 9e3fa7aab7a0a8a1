# casefile — the two commands a user needs are `make run` and `make test`.
# Each does all of its own set-up on a fresh machine with Python 3.11 and Java 17.

SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
STAMP := $(VENV)/.installed
export CASEFILE_HOME ?= $(CURDIR)/var
export AIRFLOW_HOME ?= $(CASEFILE_HOME)/airflow
RECORDS ?= 200000
SEED ?= 20190412
CASE ?= HG-2019-0412
# The sample seizure holds a RAR item (三要素.rar) and an Access item (学生家长名单.mdb); `make run
# SYNTH_FLAGS=` for the plain TXT and XLS files.
SYNTH_FLAGS ?= --rar --access
# One seizure id per sample size, seed and container choice: the evidence store is write-once per path.
SEIZURE ?= S01-n$(RECORDS)-s$(SEED)$(if $(findstring --rar,$(SYNTH_FLAGS)),-rar)$(if $(findstring --access,$(SYNTH_FLAGS)),-mdb)

.PHONY: test-kill run test test-fast lint test-deployment install system-deps container-deps airflow-init bench fuzz screenshots clean

install: $(STAMP) system-deps

# System packages the tests start themselves: PostgreSQL (Airflow's metadata DB in the deployment
# test; Debian's server, run as the postgres user), Chromium + chromedriver with a CJK font (the report
# rendered in a real browser, tests/e2e/test_report_browser.py). Installed with apt-get only when missing.
# Seized containers: unar/lsar (RAR v4/v5 data incl. encrypted, for rarfile), mdbtools (Access
# .mdb/.accdb: mdb-tables, mdb-schema, mdb-export), libarchive13 (libarchive-c: the tests' second RAR reader).
# The S3 server (SeaweedFS's `weed`) comes from PyPI with the locked Python packages.
system-deps: container-deps
	@ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || { \
		echo "installing PostgreSQL (apt-get)"; \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends postgresql; }
	@{ command -v chromium && command -v chromedriver && fc-list :lang=zh | grep -q .; } >/dev/null 2>&1 || { \
		echo "installing Chromium, its driver and a CJK font (apt-get)"; \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium chromium-driver fonts-wqy-microhei; }

# What intake needs to read the containers seizures arrive in (`make run` too: a generated seizure
# can hold a RAR item): unar/lsar, mdbtools, libarchive13. Installed with apt-get only when missing.
container-deps:
	@{ command -v unar && command -v lsar && command -v mdb-export && ls /usr/lib/*/libarchive.so.13; } >/dev/null 2>&1 || { \
		echo "installing unar, mdbtools and libarchive (apt-get)"; \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends unar mdbtools libarchive13; }

# --compile-bytecode: uv writes no .pyc by default, and where PYTHONDONTWRITEBYTECODE is set (as on
# the project's machines) every process then compiles great_expectations, Airflow and Spark's Python
# from source again: a stage process spent 15 % more CPU that way (bench/results/pyc_2026-12-04.json).
$(STAMP): pyproject.toml requirements.lock
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON) on PATH"; exit 1; }
	@command -v java >/dev/null || { echo "need Java 17 (java on PATH) for Spark"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check uv==0.13.9
	$(UV) pip install -q --python $(PY) --compile-bytecode -r requirements.lock
	$(UV) pip install -q --python $(PY) --no-deps -e .
	$(PY) -m compileall -q jobs dags
	touch $(STAMP)

airflow-init: $(STAMP)
	$(PY) -m jobs.cli airflow-init

# Generate a sample seizure and run it through the Airflow DAG with the embedded defaults.
run: airflow-init container-deps
	$(PY) -m jobs.cli synth --out $(CASEFILE_HOME)/samples/$(CASE)/$(SEIZURE) --records $(RECORDS) --seed $(SEED) $(SYNTH_FLAGS)
	$(PY) -m jobs.cli run --case $(CASE) --seizure $(SEIZURE) --evidence $(CASEFILE_HOME)/samples/$(CASE)/$(SEIZURE)/evidence \
		--ground-truth $(CASEFILE_HOME)/samples/$(CASE)/$(SEIZURE)/ground_truth.json

# Everything CI runs: the boundaries and lint, then every test tier (unit, integration, e2e, deployment).
test: lint airflow-init system-deps
	$(PY) -m pytest -q -n 2 --no-loadscope-reorder

# The unit tier alone (tiny in-line DataFrames, generated files; a few minutes), after lint.
test-fast: lint
	$(PY) -m pytest -q -n 2 --no-loadscope-reorder tests/unit

# Layer contracts (pyproject.toml [tool.importlinter]) and ruff; a forbidden import fails here.
lint: $(STAMP)
	$(VENV)/bin/lint-imports
	$(VENV)/bin/ruff check .

# The full deployment on loopback: Airflow scheduler + watch DAG on PostgreSQL, Spark standalone,
# SeaweedFS as the S3 server (slow).
test-deployment: airflow-init system-deps
	$(PY) -m pytest -q -m deployment tests/integration/test_deployment.py

# SIGKILL a stage's driver mid-write and rerun it, alone (it is part of `make test` too;
# tests/integration/test_kill_rerun.py).
test-kill: $(STAMP)
	$(PY) -m pytest -q tests/integration/test_kill_rerun.py

# The intake parsers' fuzzer for longer than the few seconds make test gives it (FUZZ_SECONDS).
FUZZ_SECONDS ?= 300
fuzz: $(STAMP)
	CASEFILE_FUZZ_SECONDS=$(FUZZ_SECONDS) $(PY) -m pytest -q -s tests/unit/test_intake_fuzz.py

# The README's screenshots of summary.html (zh-CN and en) from a bundle (BUNDLE=its folder), in headless
# Chromium; the page is rendered again from the bundle's files (jobs/export/rerender.py), no pipeline run.
screenshots: $(STAMP) system-deps
	@test -n "$(BUNDLE)" || { echo "usage: make screenshots BUNDLE=<bundle folder>"; exit 2; }
	$(PY) tests/e2e/browser.py $(BUNDLE) docs/screenshots

bench: $(STAMP)
	$(PY) -m bench.run $(BENCH_ARGS)

clean:
	rm -rf $(CASEFILE_HOME) .pytest_cache
