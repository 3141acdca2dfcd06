PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test fuzz bench bench-peers clean

# The venv is rebuilt when pyproject.toml changes; a fresh clone needs only python3 and make.
$(BIN)/creg: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(BIN)/creg

demo: $(BIN)/creg
	$(BIN)/creg validate components
	$(BIN)/creg show add@1
	$(BIN)/creg compile examples/calculation.yaml -o build/calculation.yaml
	$(BIN)/creg graph examples/calculation.yaml --format mermaid
	$(BIN)/creg run examples/calculation.yaml --workdir build/calculation-run
	@echo "Open the web UI: $(BIN)/creg ui examples/calculation.yaml   (then http://127.0.0.1:8080/)"

test: $(BIN)/creg
	$(BIN)/mypy
	$(BIN)/python -m pytest

# The property-based fuzz suite with many more (random) examples than CI's; a failure prints the
# falsifying example and an @reproduce_failure blob.
fuzz: $(BIN)/creg
	HYPOTHESIS_PROFILE=long $(BIN)/python -m pytest -p no:cacheprovider tests/test_tool_fuzz.py --hypothesis-show-statistics

bench: $(BIN)/creg
	$(BIN)/python bench/bench_startup.py
	$(BIN)/python bench/bench_import.py
	$(BIN)/python bench/bench_svg.py
	$(BIN)/python bench/bench_spec.py
	$(BIN)/python bench/bench_registry.py
	$(BIN)/python bench/bench_publish.py
	$(BIN)/python bench/bench_compile.py
	$(BIN)/python bench/bench_lint.py
	$(BIN)/python bench/bench_outdated.py
	$(BIN)/python bench/bench_runs.py
	$(BIN)/python bench/bench_hostile.py
	$(BIN)/python bench/bench_argo_runs.py
	$(BIN)/python bench/bench_ui.py
	$(BIN)/python bench/bench_scheduler.py

# Optional: hera 7.1 and kfp 1.8.22 in their own venvs, compiling the same shapes.
bench-peers: $(BIN)/creg
	bash bench/peers/setup.sh
	$(BIN)/python bench/bench_compile.py --peers

clean:
	rm -rf $(VENV) build dist bench/.venv-hera bench/.venv-kfp
