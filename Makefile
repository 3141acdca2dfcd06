PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test bench clean

$(BIN)/creg: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(BIN)/creg

demo: $(BIN)/creg
	$(BIN)/creg validate components
	$(BIN)/creg show components/add/1.0.0/component.yaml

test: $(BIN)/creg
	$(BIN)/python -m pytest

bench: $(BIN)/creg
	$(BIN)/python bench/bench_spec.py

clean:
	rm -rf $(VENV) build dist *.egg-info
