# rtlab: every command a newcomer needs. Each target creates .venv and installs what it needs.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
OUT    ?= out

.PHONY: demo lab test lint bench browser clean

$(VENV)/.runtime: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e .
	touch $@

# lhotse (a test dependency: clips from lhotse CutSets) needs torch; take the CPU build this
# machine keeps in its wheel folder when there is one, rather than a multi-GB CUDA build.
$(VENV)/.test: $(VENV)/.runtime
	$(PY) -m pip install -q 'torch==2.13.0' 2>/dev/null || true
	$(PY) -m pip install -q -e '.[test]'
	touch $@

## make demo: the turn-detection tuning walkthrough, headless; plots and tables go to out/
demo: $(VENV)/.runtime
	$(VENV)/bin/rtlab demo --out $(OUT)

## make lab: JupyterLab on notebooks/ with rtlab and its widgets installed
lab: $(VENV)/.runtime
	$(VENV)/bin/jupyter lab notebooks/ $$( [ "$$(id -u)" = 0 ] && echo --allow-root )

## make browser: Debian's chromium for the real-browser test (needs root or sudo)
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null \
	  || echo "warning: could not install chromium; the browser test will be skipped"; }

## make test: the whole suite (unit, doctests, notebooks, loopback servers, browser)
test: $(VENV)/.test browser
	$(PY) -m pytest

lint: $(VENV)/.test
	$(VENV)/bin/ruff check rtlab tests benchmarks
	$(VENV)/bin/ruff format --check rtlab tests benchmarks
	$(VENV)/bin/mypy

## make bench: every benchmark in benchmarks/ (prints ratios against same-run baselines)
bench: $(VENV)/.test
	for b in benchmarks/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf $(OUT) .pytest_cache .hypothesis
