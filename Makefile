# Pakistan IT-exports policy simulator. `make help` lists the targets.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip
# The locked versions (requirements/*.txt, with hashes; `make lock` remakes them from pyproject.toml).
APP_LOCK := requirements/app.txt
DEV_LOCK := requirements/dev.txt
APP_STAMP := $(VENV)/.app-$(shell cat $(APP_LOCK) pyproject.toml setup.py | cksum | cut -d' ' -f1)
DEV_STAMP := $(VENV)/.dev-$(shell cat $(DEV_LOCK) pyproject.toml setup.py | cksum | cut -d' ' -f1)
ADDRESS ?= 127.0.0.1
PORT   ?= 8501
# No reload on a source change by default (see .streamlit/config.toml); `make run WATCH=auto` reloads.
WATCH  ?= none
# `make run` listens on this machine only; `make run ADDRESS=0.0.0.0 PORT=8080` serves on every
# network interface (see README, "Serving on a network").

.DEFAULT_GOAL := help
.PHONY: help install install-app run test test-slow typecheck lint format smoke ci lock fit backtest bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-11s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# The app's dependencies only, at the locked versions, then the package itself (editable, built
# with the locked setuptools).
$(APP_STAMP): $(APP_LOCK) pyproject.toml setup.py | $(BIN)/python
	$(PIP) install --quiet --require-hashes -r $(APP_LOCK)
	$(PIP) install --quiet --no-deps --no-build-isolation -e .
	rm -f $(VENV)/.app-*
	touch $@

# Everything above, plus the test and development tools (pytest, Hypothesis, Playwright, ruff, mypy).
$(DEV_STAMP): $(DEV_LOCK) $(APP_STAMP)
	$(PIP) install --quiet --require-hashes -r $(DEV_LOCK)
	rm -f $(VENV)/.dev-*
	touch $@

install-app: $(APP_STAMP) ## create or update .venv with the package and the app's dependencies only

install: $(DEV_STAMP) ## create or update .venv with the package, its test and development tools

run: install-app ## start the app on http://127.0.0.1:8501 with the bundled data (options: ADDRESS=, PORT=, WATCH=)
	$(BIN)/streamlit run streamlit_app.py --server.address $(ADDRESS) --server.port $(PORT) \
		--server.fileWatcherType $(WATCH) --server.headless true --browser.gatherUsageStats false

test: install ## run the test suite, without the slow tests (browser tests skip when Chromium is missing)
	$(BIN)/python -m pytest

test-slow: install ## run only the tests marked slow (the full re-fits; CI runs them)
	$(BIN)/python -m pytest -m slow

typecheck: install ## mypy on simulator/ and calibration/ (settings in pyproject.toml)
	$(BIN)/mypy

lint: install ## ruff check and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install ## format the code with ruff
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

smoke: install ## build the wheel, install it in a new venv outside the tree, run the CLI and the API there
	.ci/wheel_smoke.sh

ci: lint typecheck test test-slow smoke ## everything CI runs (.ci/run also installs Chromium)

lock: install ## re-resolve requirements/*.txt from pyproject.toml, keeping the pins that fit (UPGRADE=1: newest)
	$(BIN)/uv pip compile pyproject.toml requirements/build.in --universal --generate-hashes \
		--python-version 3.11 --quiet $(if $(UPGRADE),--upgrade) -o $(APP_LOCK)
	$(BIN)/uv pip compile pyproject.toml requirements/build.in --extra dev --universal --generate-hashes \
		--python-version 3.11 --quiet $(if $(UPGRADE),--upgrade) -o $(DEV_LOCK)

fit: install-app ## re-fit the model after changing calibration/data (writes calibration/fitted_params.json)
	$(BIN)/python -m calibration fit

backtest: install-app ## rolling-origin backtest against the naive forecast
	$(BIN)/python -m calibration backtest

bench: install ## run every benchmark in benchmarks/ (prints name: value lines)
	@for f in benchmarks/bench_*.py; do echo "# $$f"; $(BIN)/python $$f || exit 1; done

clean: ## remove the virtual environment, build output and caches
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache .hypothesis build dist *.egg-info
