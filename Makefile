# The two commands of the README:  `make book`  builds the book;  `make test`  runs every test.
# Each sets up its own virtual environment in .venv on first use (Python 3.11 and make are all it needs).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: book test notebooks lint format benchmark clean

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

book: $(STAMP)
	$(BIN)/jupyter-book build . --warningiserror --keep-going
	@echo "The book is in _build/html: open _build/html/index.html in a browser."

test: $(STAMP)
	$(BIN)/python -m pytest --nbval

notebooks: $(STAMP)
	$(BIN)/python tools/notebooks.py sync
	$(BIN)/python tools/notebooks.py run

lint: $(STAMP)
	$(BIN)/ruff check resnext_edu tests tools
	$(BIN)/ruff format --check resnext_edu tests tools

format: $(STAMP)
	$(BIN)/ruff check --fix resnext_edu tests tools
	$(BIN)/ruff format resnext_edu tests tools

benchmark: $(STAMP)
	$(BIN)/python -m resnext_edu.benchmark

clean:
	rm -rf _build $(VENV)
