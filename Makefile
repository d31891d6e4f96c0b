# The two commands a newcomer needs: `make demo` and `make test`.
# Each makes .venv itself (Python 3.11+) and installs the project with pinned versions:
# the model's bytes depend on the library versions, so constraints.txt pins them all.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

export DVC_NO_ANALYTICS := 1
export ITERATIVE_DO_NOT_TRACK := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: demo test lint install clean

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev,spark]'
	@touch $@

# The model's life on real data, through the real CLI, in a sandbox (demo-sandbox/,
# git-ignored, rebuilt on every run): see scripts/demo.py.
demo: $(STAMP)
	$(BIN)/python scripts/demo.py

lint: $(STAMP)
	$(BIN)/ruff check src tests bench stages scripts
	$(BIN)/mypy

test: lint
	@sh scripts/ensure-chromium.sh  # the HTML report test renders in headless Chromium
	@sh scripts/check-java.sh  # the Spark engine's tests run PySpark, which needs Java 17+
	$(BIN)/python -m pytest -n auto --dist loadfile --durations=15

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
