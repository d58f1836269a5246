VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: test demo bench lint format clean

$(PY):
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): $(PY) pyproject.toml
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# For tests/engine/test_exllamav2_real_modules.py: exllamav2's pure-Python modules with a CPU-only
# torch (its CUDA extension is stubbed there). Both without their deps: exllamav2's would pull a
# CUDA torch (GBs). `torch==2.13.0` resolves to the CPU build (2.13.0+cpu) that pip's find-links
# folder holds on this project's machines. Failing here only skips that test.
TEST_EXTRAS := $(VENV)/.test-extras
$(TEST_EXTRAS): $(STAMP)
	$(PY) -m pip install --quiet --no-deps torch==2.13.0 && \
	$(PY) -m pip install --quiet --no-deps exllamav2==0.3.2 && \
	$(PY) -m pip install --quiet filelock typing-extensions sympy networkx jinja2 fsspec setuptools \
		numpy rich tokenizers safetensors pillow regex && \
	touch $@ || echo "make: exllamav2 0.3.2 or a CPU torch could not be installed; its real-module test will be skipped"

test: $(STAMP) $(TEST_EXTRAS)
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -q -m "not gpu"

demo: $(STAMP)
	$(VENV)/bin/patchbay demo

bench: $(STAMP)
	$(PY) -m bench $(BENCH_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) build dist .pytest_cache
