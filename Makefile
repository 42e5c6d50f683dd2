# Vision by Building — the two commands a fresh machine needs:
#   make book   set up .venv, execute every chapter, build the HTML (_build/html/index.html)
#   make test   set up .venv, run the linter (ruff: pyflakes + numpydoc docstring rules), the whole suite
#               (unit + oracle tests, doctests, exercise notebooks), then the book build, which fails on
#               any raising cell or Sphinx warning
# Other targets: make exercises (regenerate exercises/ from solutions/), make dist (sdist + wheel into dist/),
# make bench, make clean.
#
# Any supported Python (3.11, 3.12, 3.13): make test PYTHON=python3.12. requirements.txt pins torch==2.13.0;
# on Linux without a local CPU wheel, add PyTorch's CPU index, or pip fetches the multi-gigabyte CUDA build:
#   make test TORCH_INDEX=https://download.pytorch.org/whl/cpu

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
JOBS   ?= 2
TORCH_INDEX ?=
PIP_TORCH := $(if $(TORCH_INDEX),--extra-index-url $(TORCH_INDEX))

VENDOR := _vendor
NPM_PACKAGES := mathjax@3.2.2 requirejs@2.3.7 @jupyter-widgets/html-manager@1.0.6

.PHONY: all book test lint browser-test unit notebooks exercises bench vendor dist clean distclean

all: book

$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; v = sys.version_info[:2]; assert (3, 11) <= v <= (3, 13), "Python 3.11, 3.12 or 3.13 is required, not %d.%d; set PYTHON=python3.12 (for example)" % v'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet $(PIP_TORCH) -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (coursekit)" >/dev/null
	touch $(STAMP)

# The book's JavaScript (MathJax, RequireJS, the widget manager), fetched from the npm registry once and
# copied into _vendor/static, which Sphinx serves as _static/: pages then work with no network.
$(VENDOR)/.stamp: Makefile
	rm -rf $(VENDOR) && mkdir -p $(VENDOR)/static/html-manager
	npm install --no-audit --no-fund --silent --prefix $(VENDOR)/npm $(NPM_PACKAGES)
	cp -r $(VENDOR)/npm/node_modules/mathjax/es5 $(VENDOR)/static/mathjax
	cp $(VENDOR)/npm/node_modules/requirejs/require.js $(VENDOR)/static/require.js
	find $(VENDOR)/npm/node_modules/@jupyter-widgets/html-manager/dist -maxdepth 1 -type f ! -name '*.map' \
	    -exec cp {} $(VENDOR)/static/html-manager/ \;
	rm -rf $(VENDOR)/npm
	touch $@

vendor: $(VENDOR)/.stamp

# Execute every chapter (no cache: an edit to src/coursekit must re-run the pages) and fail on
# any raising cell (nb_execution_raise_on_error) or Sphinx warning (-W).
book: $(STAMP) $(VENDOR)/.stamp
	@# Sphinx re-reads (and so re-executes) only pages whose source changed; the chapters also depend on
	@# coursekit, so any change there (or in the pins) drops the cached environment and re-runs them all.
	@if [ -d _build/.doctrees ] && [ -n "$$(find src requirements.txt _config.yml -newer _build/.doctrees -type f | head -n 1)" ]; then \
	    echo "coursekit or the configuration changed since the last build: re-executing every chapter"; \
	    rm -rf _build/.doctrees _build/jupyter_execute; fi
	$(BIN)/jupyter-book build . -W --keep-going
	$(BIN)/python tests/check_built_book.py _build/html

# pyflakes everywhere, pydocstyle with the numpy convention on src/ and tools/ (configured in pyproject.toml)
lint: $(STAMP)
	$(BIN)/ruff check --no-cache src tools book/_ext tests benchmarks

# The grader's tests run student code in bubblewrap: install_sandbox.sh installs Debian's bubblewrap if it
# is missing and runs the grader's sandbox self-test.
test: $(STAMP)
	$(MAKE) --no-print-directory lint
	sh tools/install_sandbox.sh $(BIN)/python
	$(BIN)/python -m pytest -q -p no:cacheprovider --ignore=tests/browser tests src/coursekit
	$(BIN)/python -m pytest -q -p no:cacheprovider --nbval-lax --tb=short solutions/
	$(MAKE) --no-print-directory book
	$(MAKE) --no-print-directory browser-test

# Headless Chromium against the built book: console errors, images, fonts, math, widgets, sliders, links,
# search, screenshots (_build/screenshots). install_browser.sh installs Debian's chromium if it is missing.
browser-test: $(STAMP)
	sh tests/browser/install_browser.sh
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/browser --book _build/html

exercises: $(STAMP)
	$(BIN)/python -m coursekit exercises --solutions solutions --out exercises

# The sdist and the wheel of the distribution "vision-by-building" (import name coursekit), built offline
# with the pinned setuptools; tests/test_distribution.py installs the wheel outside the repository.
dist: $(STAMP)
	rm -rf dist && $(BIN)/python -m build --no-isolation --outdir dist .

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py --out benchmarks/results.md

clean:
	rm -rf _build .pytest_cache dist build
	find . -name __pycache__ -not -path "./$(VENV)/*" -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) $(VENDOR)
