# Qualiopi Workbench — every target installs what it needs on first run.
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test lint bench system-deps

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

system-deps:
	@bash scripts/system-deps.sh

## Construit l'espace de démonstration (clients fictifs, missions, rapports) dans le dossier du dépôt.
demo: $(STAMP) system-deps
	$(VENV)/bin/workbench --workspace $(CURDIR) demo

## Lance toute la suite de tests (y compris navigateur et notebooks).
test: $(STAMP) system-deps
	$(PY) -m pytest -n 2

lint: $(STAMP)
	$(VENV)/bin/ruff check workbench tests benchmarks

bench: $(STAMP)
	$(PY) benchmarks/bench_interview.py
	$(PY) benchmarks/bench_choices.py
	$(PY) benchmarks/bench_memory.py
	$(PY) benchmarks/bench_batch.py --clients 20 --baseline-sample 10
