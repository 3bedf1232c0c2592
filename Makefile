# Two commands on a fresh machine: `make run` and `make test`. Both create .venv when it is missing.
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
PYTEST_ARGS ?=

.PHONY: run test lint typecheck bench clean screenshots

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[test]"
	touch $(STAMP)

run: $(STAMP)
	$(PY) -m gui

lint: $(STAMP)
	$(VENV)/bin/ruff check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy engine gui

test: lint typecheck
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q $(PYTEST_ARGS)

# every benchmark, one after the other (a few minutes; results go to docs/benchmarks.md by hand, with the machine)
bench: $(STAMP)
	$(PY) -m pip install -q -e ".[bench]"
	$(PY) bench/engine_bench.py
	$(PY) bench/csv_bench.py
	$(PY) bench/explain_bench.py
	$(PY) bench/surface_bench.py
	QT_QPA_PLATFORM=offscreen $(PY) bench/editor_bench.py
	QT_QPA_PLATFORM=offscreen $(PY) bench/training_gui_bench.py
	QT_QPA_PLATFORM=offscreen $(PY) bench/explorer_gui_bench.py
	QT_QPA_PLATFORM=offscreen $(PY) bench/digits_bench.py

clean:
	rm -rf $(VENV) build *.egg-info

# the README's picture and the docs' workspace pictures, grabbed from the real window offscreen (docs/images)
screenshots: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) docs/screenshots/make_screenshots.py
