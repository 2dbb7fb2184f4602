# The two commands of the README. Both make their own virtual environment in .venv.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: app test install install-dev browser bench bench-load messages

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements.txt

install-dev: $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt

## Start the app on the default scenario (http://localhost:8501); Chromium prints the report PDF.
app: install browser
	$(BIN)/streamlit run app.py

## Debian's Chromium for the real-browser test, static chart export and the report's PDF (no browser download),
## and the fonts that draw Thai and Vietnamese there (fonts-thai-tlwg, fonts-noto-core: Noto Sans Thai, Noto Sans).
FONT_PACKAGES := fonts-thai-tlwg fonts-noto-core
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium is not installed (sudo apt-get install chromium); browser tests will be skipped"; fi; }
	@fc-list :lang=th family 2>/dev/null | grep -q . || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(FONT_PACKAGES) >/dev/null; \
	  else echo "no Thai font (sudo apt-get install $(FONT_PACKAGES)); Thai text in PNG/SVG/PDF exports shows empty boxes"; fi; }

## Translations: write the template, bring th/vi/ms.po up to date with the English catalog, list what is left.
messages: install
	$(BIN)/python -m simulation.display.text update
	$(BIN)/python -m simulation.display.text check

## Install everything and run the whole test suite, one worker process per core (pytest-xdist);
## tests are handed out one at a time as workers free up, so the long app and report tests spread.
## numba's cache is filled first, on two cores: otherwise every worker and server compiles at once.
test: install-dev browser
	$(BIN)/python -m simulation.core.warm_up
	$(BIN)/python -m pytest -n auto --dist worksteal --durations=25

## Speed and memory figures (printed, never asserted): engine, then the decision-analysis set.
bench: install-dev
	$(BIN)/python bench/engine.py
	$(BIN)/python bench/analysis.py

## Twenty sessions at once against a local server (about 5 minutes; --settle 10 for a quick run).
bench-load: install-dev
	$(BIN)/python bench/load.py
