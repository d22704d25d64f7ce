# The two commands of the README:  `make book`  builds the book;  `make test`  runs every test.
# Each sets up its own virtual environment in .venv on first use (Python 3.11 and make are all it needs).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# The reader's environment: what a reader's kernel has in Colab, and nothing of this repository's source tree: Colab's
# versions of requirements.txt and of the kernel (requirements-colab.txt), torch and torchvision (requirements-torch.txt:
# Colab ships torch 2.11; pip takes 2.14.1 from this machine's disk), and resnext_edu installed from its wheel.
# `make test` runs the chapters in it, and `make notebooks` re-executes them in it (the kernel `resnext-reader`,
# registered in .venv so that the dev environment's Jupyter finds it).
READER        := .venv-reader
READER_DEPS   := $(READER)/.installed
READER_WHEEL  := $(READER)/.wheel
READER_KERNEL := resnext-reader
KERNELSPEC    := $(VENV)/share/jupyter/kernels/$(READER_KERNEL)/kernel.json
LIBRARY       := pyproject.toml $(shell find resnext_edu -name '*.py' -not -path '*/__pycache__/*' 2>/dev/null)
# ...and the package data that ships in the wheel (the reference run's record and weights: pyproject.toml).
LIBRARY       += $(wildcard resnext_edu/reference/*.json resnext_edu/reference/*.weights.h5)

.PHONY: book test test-lib test-backends test-backend-jax test-backend-torch reader datasets notebooks lint format benchmark \
        reference clean wheel release check-release

$(STAMP): requirements.txt requirements-torch.txt requirements-dev.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

# Colab's versions, exactly (requirements-colab.txt), which also satisfy requirements.txt (pip check says so); torch.
$(READER_DEPS): requirements.txt requirements-colab.txt requirements-torch.txt
	rm -rf $(READER)
	$(PYTHON) -m venv $(READER)
	$(READER)/bin/python -m pip install --quiet -r requirements-colab.txt -r requirements.txt -r requirements-torch.txt
	$(READER)/bin/python -m pip check
	touch $@

# Rebuilt whenever the library changes, so that the chapters always run against the current code.
$(READER_WHEEL): $(READER_DEPS) $(LIBRARY)
	rm -rf dist build
	$(READER)/bin/python -m pip wheel --quiet --no-deps . -w dist
	rm -rf build
	$(READER)/bin/python -m pip install --quiet --no-deps --force-reinstall dist/resnext_edu-*.whl
	touch $@

$(KERNELSPEC): $(READER_DEPS) $(STAMP)
	$(READER)/bin/python -m ipykernel install --prefix $(VENV) --name $(READER_KERNEL) \
		--display-name "Python 3 (reader: Colab's versions + resnext_edu wheel)"

reader: $(READER_WHEEL) $(KERNELSPEC)

# The real images the chapters train on, offline: Debian's dataset-fashion-mnist, found or installed with apt-get when
# run as root (as CI is); otherwise it says how to get it. Standard library only.
datasets:
	$(PYTHON) tools/datasets.py

book: $(STAMP)
	$(BIN)/jupyter-book build . --warningiserror --nitpick --keep-going
	@echo "The book is in _build/html: serve it (its explorers are live only when served) with"
	@echo "  python3 -m http.server -d _build/html 8000   and open http://localhost:8000"
	@echo "or open _build/html/index.html."

# lint first: CI (.ci/run) runs `make test`, so it checks the lint too. The tests run in TEST_WORKERS processes
# (pytest-xdist); --dist loadfile keeps each test file, and each chapter's cells, together and in order in one of them.
# TEST_WORKERS=0 runs everything in one process. How long `make test` takes, and where the time goes: README.
TEST_WORKERS ?= 2
test: lint reader datasets
	$(BIN)/python -m pytest --nbval -n $(TEST_WORKERS) --dist loadfile --durations=30 -m "not heavy"
	$(MAKE) --no-print-directory test-backends

# The library's unit tests (those not marked slow) on Keras' other two backends, one process each, one after the other
# (KERAS_BACKEND is read when Keras is imported). Tests marked tensorflow_only are skipped there with their reason.
# One after the other because each backend's process already keeps both cores busy (XLA's and torch's own threads):
# measured here, side by side took 826 s (JAX's pass, the longer), one after the other 512 s + 234 s, and torch with
# two xdist workers 280 s against 234 s with one.
BACKENDS := jax torch
test-backends: $(STAMP) datasets
	$(MAKE) --no-print-directory --keep-going $(addprefix test-backend-,$(BACKENDS))

# The tests marked heavy (forms a and b of the ResNeXt-101s against torchvision) run once, on PyTorch's backend, not in
# the main run: Keras builds their 7,000 to 15,000 layers there in less than half the time (measured on an idle 2-core
# machine, the four tests: 131 s on PyTorch, 282 s on TensorFlow; TensorFlow's eager variable creation is most of it).
# Forms a and b on TensorFlow are still checked against torchvision on ResNeXt-50 and Wide ResNet-50-2.
test-backend-jax:   MARKERS := not slow and not heavy
test-backend-torch: MARKERS := not slow
test-backend-jax test-backend-torch: test-backend-%: $(STAMP)
	KERAS_BACKEND=$* $(BIN)/python -m pytest -q -p no:xdist -m "$(MARKERS)" --durations=10 $(BACKEND_TESTS)

# The library tests that run Keras (the others, pure Python or about the book, run once, on TensorFlow).
PURE_TESTS    = $(addprefix tests/test_,$(addsuffix .py,complexity exercises package paper_plots progress prose_numbers \
                readouts site_explorers widgets))
BACKEND_TESTS = $(filter-out $(PURE_TESTS),$(LIBRARY_TESTS))

# The fast lane: the library's unit tests alone (no chapters, no book, no browser), without those marked slow or heavy
# (`make test` runs the heavy ones in PyTorch's pass: test-backend-torch).
LIBRARY_TESTS = $(filter-out $(BOOK_TESTS),$(wildcard tests/test_*.py))
BOOK_TESTS    = tests/test_book.py tests/test_colab.py tests/test_hygiene.py tests/test_reader_env.py tests/test_site.py \
                tests/test_site_a11y.py tests/test_release.py tests/test_figures.py
test-lib: $(STAMP) datasets
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) -m "not slow and not heavy" $(LIBRARY_TESTS)

# Chapters are re-executed in the reader's kernel (Colab's versions), the one `make test` checks them in.
notebooks: reader datasets
	$(BIN)/python tools/notebooks.py sync
	$(BIN)/python tools/notebooks.py run

# Releases (README, "Releases"; tools/release.py): `make release VERSION=X.Y.Z` bumps the version, writes CHANGELOG.md's
# entry and the install cells, commits, tags vX.Y.Z and pins the install cells to its commit; it pushes nothing.
# `make check-release [TAG=vX.Y.Z]`: version, CHANGELOG.md, git and install cells agree (the release workflow runs it).
# `make wheel`: the library's wheel in dist/ (what the release workflow attaches to the GitHub release).
release: $(STAMP)
	@test -n "$(VERSION)" || { echo "usage: make release VERSION=X.Y.Z"; exit 2; }
	$(BIN)/python tools/notebooks.py release $(VERSION)

check-release: $(STAMP)
	$(BIN)/python tools/notebooks.py check-release $(TAG)

wheel:
	rm -rf dist build
	$(PYTHON) -m pip wheel --quiet --no-deps . -w dist
	rm -rf build

# `make lint`: ruff, the chapters' normalised metadata, and actionlint on .github/workflows/ (the three workflows).
# `make format` fixes what `make lint` finds (ruff check --fix, ruff format, the chapters' metadata).
lint: $(STAMP)
	$(BIN)/ruff check resnext_edu tests tools _ext conftest.py
	$(BIN)/ruff format --check resnext_edu tests tools _ext conftest.py
	$(BIN)/python tools/notebooks.py check-normalised
	$(BIN)/actionlint

format: $(STAMP)
	$(BIN)/ruff check --fix resnext_edu tests tools _ext conftest.py
	$(BIN)/ruff format resnext_edu tests tools _ext conftest.py
	$(BIN)/python tools/notebooks.py normalise

# The README's performance section: the machine (CPU, cores, ISA, load, versions), then ResNeXt-50 against ResNet-50
# in every mode (and in PyTorch, where torch and torchvision are installed). Minutes on 2 CPU cores.
benchmark: $(STAMP)
	$(BIN)/python -m resnext_edu.benchmark --report

# The reference run of the chapter 'ResNet versus ResNeXt at equal cost': a ResNet and two ResNeXts of one cost on all
# of Fashion-MNIST, 5 seeds, 6 epochs each. Writes resnext_edu/reference/ (the JSON record and the shipped weights);
# the shipped run took 50 min on 2 otherwise idle CPU cores, at low priority. Interrupted, the same command continues
# where it stopped; called again after it finished, it trains nothing.
reference: $(STAMP) datasets
	nice -n 5 $(BIN)/python -m resnext_edu.experiments

clean:
	rm -rf _build $(VENV) $(READER) dist build
