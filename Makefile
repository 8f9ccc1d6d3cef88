# The README's two commands, each doing its own set-up from a fresh clone:
#   make app    run the app on http://127.0.0.1:7860 (the shipped weights unless DIGITGEN_MODEL says otherwise)
#   make test   run the test suite (no MNIST and no network needed: the tests use the sample in tests/data)
#   make check  the developers' inner loop: the suite less the tests marked slow
# Both run the tests in two processes (pytest-xdist), each on its share of the cores (tests/conftest.py).
# Both build .venv on first use, with the dependency versions this project is tested with
# (constraints.txt), and reuse it afterwards; editing pyproject.toml or constraints.txt rebuilds it.
# On a machine without a GPU, PIP_EXTRA_INDEX_URL=https://download.pytorch.org/whl/cpu installs the
# CPU-only torch (about 0.2 GB instead of several).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
READY := $(VENV)/.digitgen-installed
# Two workers; an idle one takes tests queued for the other (the slow ones are queued first).
WORKERS := -n 2 --dist worksteal

.PHONY: app test check lint clean

app: $(READY)
	$(BIN)/python app.py

test: $(READY)
	$(BIN)/python -m pytest -q $(WORKERS)

check: $(READY)
	$(BIN)/python -m pytest -q $(WORKERS) -m "not slow"

lint: $(READY)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

$(READY): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e ".[app,test]"
	touch $(READY)

clean:
	rm -rf $(VENV)
