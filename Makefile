# Pakistan IT-exports policy simulator. `make help` lists the targets.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
ADDRESS ?= 127.0.0.1
PORT   ?= 8501
# `make run` listens on this machine only; `make run ADDRESS=0.0.0.0 PORT=8080` serves on every
# network interface (see README, "Serving on a network").

.DEFAULT_GOAL := help
.PHONY: help install run test lint format fit backtest bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP) ## create or update .venv with the package and its test tools

run: install ## start the app on http://127.0.0.1:8501 with the bundled data (options: ADDRESS=, PORT=)
	$(BIN)/streamlit run streamlit_app.py --server.address $(ADDRESS) --server.port $(PORT) \
		--server.headless true --browser.gatherUsageStats false

test: install ## run the whole test suite (browser tests skip when Chromium is missing)
	$(BIN)/python -m pytest

lint: install ## ruff check and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install ## format the code with ruff
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

fit: install ## re-fit the model after changing calibration/data (writes calibration/fitted_params.json)
	$(BIN)/python -m calibration fit

backtest: install ## rolling-origin backtest against the naive forecast
	$(BIN)/python -m calibration backtest

bench: install ## run every benchmark in benchmarks/ (prints name: value lines)
	@for f in benchmarks/bench_*.py; do echo "# $$f"; $(BIN)/python $$f || exit 1; done

clean: ## remove the virtual environment and caches
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis build *.egg-info
