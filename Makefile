# pmo_nb: `make demo` sets everything up and shows it; `make test` runs the suite.
# Every target creates .venv from pyproject.toml first if it is missing.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PMO    := $(VENV)/bin/pmo
PORT   ?= 8866
DB     ?= portfolio.db
REPORTS ?= reports

.DEFAULT_GOAL := help
.PHONY: help install demo reports serve lab test test-fast bench lint clean

help: ## List the targets with what they do
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $@

install: $(VENV)/.installed ## Create .venv with every dependency (only when missing or pyproject changed)

demo: install ## Build the demo store, serve the dashboard, run the report suite behind it
	$(PMO) demo --db $(DB)
	@mkdir -p $(REPORTS)
	@# the reports fill in behind the dashboard; $(REPORTS)/<date>/index.html says which still run
	nohup $(PMO) report run --all --jobs 2 --db $(DB) --out $(REPORTS) > $(REPORTS)/run.log 2>&1 &
	@echo "Executive dashboard: http://127.0.0.1:$(PORT)/voila/render/executive.ipynb"
	@echo "Reports fill in behind it: $(abspath $(REPORTS))/index.html (log: $(REPORTS)/run.log)"
	$(PMO) serve --db $(DB) --intake-db $(DB) --port $(PORT)

reports: install ## Run the recurring report suite with papermill into reports/ (no server)
	$(PMO) report run --all --jobs 2 --db $(DB) --out $(REPORTS)

serve: install ## Serve the executive dashboards with Voila on 127.0.0.1:$(PORT)
	$(PMO) serve --db $(DB) --intake-db $(DB) --port $(PORT)

lab: install ## Open JupyterLab on the notebooks
	PMO_DB=$(abspath $(DB)) $(VENV)/bin/jupyter lab --ip=127.0.0.1 --notebook-dir=notebooks

# Test files are spread over the cores (pytest-xdist); a file stays on one worker, so a
# module's fixtures (a report suite run, a server) are built once. TEST_WORKERS=0: one process.
TEST_WORKERS ?= auto
test: install ## Run the whole test suite, its files spread over the cores
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile --durations=25

test-fast: install ## The suite without slow and browser tests, for the edit-test loop
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile -m "not slow and not browser"

bench: install ## Run the benchmarks and print their figures (installs the peers: .[bench])
	$(PY) -m pip install --quiet -e ".[test,bench]"
	@for b in bench/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

lint: install ## Lint the package, tests and notebooks
	$(VENV)/bin/ruff check pmo_nb tests bench notebooks dashboards

clean: ## Remove the demo store, reports and caches (keeps .venv)
	rm -rf $(REPORTS) demo_portfolio $(DB) $(DB)-wal $(DB)-shm .pytest_cache
