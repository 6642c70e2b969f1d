# The two set-up commands of the README:  make demo  and  make test.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
SAMPLE := samples/sample.pdf
WS ?= demo-ws

.PHONY: install demo test lint browser

# llama.cpp is built for this CPU, but without its AMX kernels: on the Xeon (Sapphire Rapids) VMs we run on,
# ggml_backend_amx_mul_mat segfaults on the first decode of any model (seen with llama-cpp-python 0.3.36,
# SmolLM2 and Qwen2.5 GGUFs; gdb backtrace in the README's troubleshooting). Everything else stays native.
NO_AMX := -mno-amx-tile -mno-amx-int8 -mno-amx-bf16
LLAMA_CMAKE_ARGS ?= -DCMAKE_C_FLAGS=$(subst $() ,\ ,$(NO_AMX)) -DCMAKE_CXX_FLAGS=$(subst $() ,\ ,$(NO_AMX))

# PYTHONWARNINGS: setuptools' notice for editable installs of a mapped layout (folders named like the
# package could shadow it) does not apply here, no folder is named factloom; the install stays quiet.
$(BIN)/factloom: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip setuptools wheel
	$(BIN)/pip install -q torch==2.13.0
	PYTHONWARNINGS='ignore:Editable installation' CMAKE_BUILD_PARALLEL_LEVEL=2 CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/pip install -q -e '.[dev]'
	touch $(BIN)/factloom

install: $(BIN)/factloom

$(SAMPLE): scripts/make_sample_pdf.py | install
	$(BIN)/python scripts/make_sample_pdf.py $(SAMPLE)

demo: install $(SAMPLE)
	$(BIN)/factloom extract $(SAMPLE) -w $(WS) --schema biomed --demos samples/demos.jsonl
	$(BIN)/factloom export -w $(WS) --format jsonl --out $(WS)/graph.jsonl
	$(BIN)/factloom stats -w $(WS)
	@echo "knowledge graph: $(WS)/graph.jsonl"; head -n 5 $(WS)/graph.jsonl

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/python scripts/check_circles.py

# The web page is tested in a real headless Chromium (Debian's package; never a downloaded browser).
# Without root or apt the browser test skips and says why.
browser:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) \
		|| echo "chromium could not be installed: the browser test will be skipped"

test: lint browser
	$(BIN)/pytest -q -ra tests
