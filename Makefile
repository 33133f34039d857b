# The user's vocabulary: `make run` and `make test` are all a fresh machine needs.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: run test lint migrate bench bench-scale bench-load bench-appeals screenshots clean i18n-extract i18n-update i18n-compile

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@rm -f $(VENV)/.installed-*
	@touch $@

# The demo lives in a database of its own, never in the one real donors are recorded in, and seals what its
# synthetic donors confide with a key of its own, made on first run (a real installation keeps its key file
# outside the database's folder: see "Running it for real").
ifeq ($(BLOODBANK_DATA_KEYS),)
DEMO_KEYS = BLOODBANK_DATA_KEY_FILE="$${BLOODBANK_DATA_KEY_FILE:-var/data-keys}"
endif
DEMO_DATABASE = BLOODBANK_DATABASE_URL="$${BLOODBANK_DATABASE_URL:-sqlite:///var/demo.db}" $(DEMO_KEYS)

run: $(STAMP)
	$(DEMO_DATABASE) $(BIN)/bloodbank keys init
	$(DEMO_DATABASE) $(BIN)/bloodbank db upgrade
	$(DEMO_DATABASE) $(BIN)/bloodbank demo --if-empty
	$(DEMO_DATABASE) $(BIN)/bloodbank serve

test: $(STAMP)
	@scripts/test-tools
	$(BIN)/lint-imports
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/lint-imports

screenshots: $(STAMP)
	@scripts/test-tools
	BLOODBANK_SCREENSHOTS=1 BLOODBANK_E2E_DONORS=2000 $(BIN)/pytest -q tests/e2e/test_role_homes.py \
		tests/e2e/test_whole_tasks_in_languages.py

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

# Operation × register size (10 k, 100 k, 1 M donors), SQLite and, with BLOODBANK_BENCH_PG_URL, PostgreSQL.
bench-scale: $(STAMP)
	$(BIN)/python benchmarks/scale.py

# Fifty clients against `serve --workers N` on loopback: reads, then the day's writes one kind at a time.
bench-load: $(STAMP)
	$(BIN)/python benchmarks/load.py

bench-appeals: $(STAMP)
	$(BIN)/python benchmarks/appeal_selection.py

migrate: $(STAMP)
	$(BIN)/bloodbank db upgrade

# Languages: extract the marked messages into the template, merge it into every language's catalogue, compile.
# Compiling is optional: a catalogue newer than its compiled form is compiled when first read.
LOCALE := src/bloodbank/locale
i18n-extract: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k lazy_gettext -k N_ --project=bloodbank \
		--copyright-holder="bloodbank contributors" --sort-by-file -o $(LOCALE)/messages.pot .

i18n-update: i18n-extract
	$(BIN)/pybabel update -i $(LOCALE)/messages.pot -d $(LOCALE) --previous

i18n-compile: $(STAMP)
	$(BIN)/pybabel compile -d $(LOCALE) --statistics

clean:
	rm -rf $(VENV) var .pytest_cache .hypothesis
