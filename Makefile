# Two commands do everything: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app app
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: run serve test lint migrate demo clean screenshots lighthouse translations

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Two stamps, each redone whenever pyproject.toml changes: the app's own dependencies
# (all `make run` needs), and those plus the dev extra (tests, linters, benchmarks).
# Installing the dev extra installs the app's too, so it marks both.
PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check
RUNTIME := $(VENV)/.installed-runtime
DEV     := $(VENV)/.installed

$(RUNTIME): pyproject.toml | $(BIN)/python
	$(PIP) -e .
	touch $@

$(DEV): pyproject.toml | $(BIN)/python
	$(PIP) -e ".[dev]"
	touch $(RUNTIME) $@

# The printed card links and QR codes use BASE_URL; unset, config.py makes it from the
# HOST and PORT actually served.
SERVED := HOST=$(HOST) PORT=$(PORT)

run: $(RUNTIME)
	$(FLASK) db upgrade
	$(SERVED) $(FLASK) demo --if-empty
	$(SERVED) $(FLASK) run --host $(HOST) --port $(PORT)

# Production: migrate, then gunicorn with gunicorn.conf.py. Settings come from the
# environment (BIND or HOST/PORT, WEB_CONCURRENCY, DATABASE_URL, ...): docs/DEPLOY.md.
serve: $(RUNTIME)
	$(FLASK) db upgrade
	$(BIN)/gunicorn -c gunicorn.conf.py "app:create_app()"

migrate: $(RUNTIME)
	$(FLASK) db upgrade

demo: $(RUNTIME)
	$(SERVED) $(FLASK) demo

# SQLite always; PostgreSQL too when TEST_DATABASE_URL is set, side by side (each run
# waits on its browser and its database part of the time, so the two overlap;
# PostgreSQL's output is printed after SQLite's). The `screens` tests (how pages look:
# layout, accessibility, weight) run once, in the SQLite pass, since no database
# changes how a page looks. Browser tests run when Chromium is installed
# (TABBY_REQUIRE_BROWSER=1 turns a missing browser into a failure).
test: $(DEV)
	$(BIN)/ruff check .
	@if [ -z "$$TEST_DATABASE_URL" ]; then exec $(BIN)/python -m pytest --db=sqlite; fi; \
	mkdir -p test-output; \
	TABBY_TEST_OUTPUT=test-output/postgresql $(BIN)/python -m pytest --db=postgresql -m "not screens" \
		> test-output/postgresql.log 2>&1 & postgresql=$$!; \
	$(BIN)/python -m pytest --db=sqlite; sqlite=$$?; \
	wait $$postgresql; pg=$$?; \
	echo "== the same suite on PostgreSQL =="; cat test-output/postgresql.log; \
	echo "== SQLite exit $$sqlite, PostgreSQL exit $$pg =="; \
	[ $$sqlite -eq 0 ] && [ $$pg -eq 0 ]

# Every customer screen at 360 px, light and dark, English and Korean, from the
# accessibility walk.
screenshots: $(DEV)
	rm -rf test-output/screenshots
	TABBY_SCREENSHOTS=1 $(BIN)/python -m pytest -q tests/test_accessibility.py -k "360x740"
	mkdir -p docs/screenshots
	cp test-output/screenshots/*.png docs/screenshots/

# Tabby's own words: extract them, merge into each language's catalogue, compile the .mo
# files (committed, so a fresh checkout runs without this step).
translations: $(RUNTIME)
	$(BIN)/pybabel extract -F babel.cfg -k lazy_gettext -k _l --no-location --sort-output \
		--project=Tabby --ignore-dirs=".* _* tests bench migrations node_modules" \
		-o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching
	$(BIN)/pybabel compile -d translations --statistics

lighthouse: $(DEV)
	VENV=$(VENV) bench/lighthouse.sh

lint: $(DEV)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache test-output
