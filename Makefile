# Entry points. Every target bootstraps .venv when it is missing or older than
# pyproject.toml / requirements.lock, so a fresh clone needs nothing else.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000

.PHONY: run test serve bench bench-kcs lint format clean venv lock translations

$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip uv
	$(BIN)/uv pip install --quiet --python $(BIN)/python -r requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	@touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	$(BIN)/customs-risk run

test: $(STAMP)
	$(BIN)/python -m pytest

serve: $(STAMP)
	PORT=$(PORT) $(BIN)/customs-risk serve

bench: $(STAMP)
	$(BIN)/python benchmarks/scoring_latency.py
	$(BIN)/python benchmarks/ledger_write.py
	$(BIN)/python benchmarks/workbench_render.py

bench-kcs: $(STAMP)
	$(BIN)/python benchmarks/kcs_valid.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Re-extract the workbench's words and merge them into each language's catalogue; then
# translate the new entries in serving/workbench/locales/*/LC_MESSAGES/messages.po.
LOCALES := serving/workbench/locales
translations: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg --no-location --sort-output -o $(LOCALES)/messages.pot .
	$(BIN)/pybabel update --no-fuzzy-matching --ignore-obsolete -i $(LOCALES)/messages.pot -d $(LOCALES)

lock:
	$(BIN)/uv pip compile --quiet --python-version 3.11 pyproject.toml --extra dev -o requirements.lock

clean:
	rm -rf $(VENV) data/ mlflow/mlflow.db mlflow/artifacts .prefect/
