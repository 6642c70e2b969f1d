# The two set-up commands of the README:  make demo  and  make test.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
SAMPLE := samples/sample.pdf
WS ?= demo-ws

.PHONY: install demo test lint bench

$(BIN)/factloom: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip setuptools wheel
	$(BIN)/pip install -q torch==2.13.0
	CMAKE_BUILD_PARALLEL_LEVEL=2 $(BIN)/pip install -q -e '.[dev]'
	touch $(BIN)/factloom

install: $(BIN)/factloom

$(SAMPLE): scripts/make_sample_pdf.py | install
	$(BIN)/python scripts/make_sample_pdf.py $(SAMPLE)

demo: install $(SAMPLE)
	$(BIN)/factloom ingest $(SAMPLE) -w $(WS)
	$(BIN)/factloom inspect docs -w $(WS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports

test: lint
	$(BIN)/pytest -q -ra tests
