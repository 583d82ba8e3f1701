# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PLAN ?= content/plans/crc-2025-2029
SECOND_PLAN ?= content/plans/ibcr-flagship-actions
HOST ?= 127.0.0.1
PORT ?= 5000
# PostgreSQL used by the second test pass (trust auth on the machine's local server).
PG_TEST_URL ?= postgresql://postgres@127.0.0.1:5432/test
export FLASK_APP := participation

.PHONY: run test install install-dev db demo translations extract-strings update-strings \
	compile-strings check lint typecheck bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed pyproject.toml
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## Translations: the catalogues in translations/ are the source; .mo files are built.
extract-strings: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_pgettext:1c,2 --no-location --sort-output \
		--project participation --copyright-holder "participation contributors" \
		-o translations/messages.pot .

update-strings: extract-strings
	$(BIN)/pybabel update -i translations/messages.pot -d translations \
		--ignore-obsolete --width 100

compile-strings: install
	@echo "==> Compiling the translations (fr, en, es)"
	@$(BIN)/pybabel compile -d translations --statistics

# The local demo signs staff in without a second factor (a banner on every staff page says
# so). Production keeps STAFF_TOTP_REQUIRED on: create-user then prints an otpauth:// URI.
DEMO_PASSPHRASE ?= demo passphrase for local use only
DEMO_ROLES := facilitator safeguarding_lead organiser admin

## Database: apply migrations, load (or update) the demo plan, create one demo account per role.
db: install
	@echo "==> Database: applying migrations to instance/participation.sqlite3"
	@$(BIN)/flask db upgrade
	@echo "==> Loading a second organisation's plan from $(SECOND_PLAN)"
	@$(BIN)/flask load-plan $(SECOND_PLAN)
	@echo "==> Loading the demo plan from $(PLAN), the one children see"
	@$(BIN)/flask load-plan $(PLAN)
	@$(BIN)/flask show-plan $(notdir $(PLAN))
	@echo "==> Demo staff accounts (one per role)"
	@for role in $(DEMO_ROLES); do \
		echo "$(DEMO_PASSPHRASE)" | STAFF_TOTP_REQUIRED=0 $(BIN)/flask create-user \
			"$$role@demo.invalid" --role "$$role" --if-missing || exit 1; \
	done

## Demo only: clearly fictional ideas so every part and every review queue shows something.
demo: db
	@echo "==> Fictional children's ideas and a children's committee for the demo"
	@$(BIN)/flask seed-demo

run: demo compile-strings
	@echo ""
	@echo "  Children's side:  http://$(HOST):$(PORT)/   (French, English, Spanish)"
	@echo "  Staff side:       http://$(HOST):$(PORT)/staff/"
	@echo "    sign in as facilitator@demo.invalid, safeguarding_lead@demo.invalid,"
	@echo "    organiser@demo.invalid or admin@demo.invalid"
	@echo "    passphrase: $(DEMO_PASSPHRASE)   (demo mode: no second factor)"
	@echo "  Reading scores:   $(BIN)/flask --app participation plan-readability"
	@echo "  Job worker:       alerts, re-alerts, retention; runs beside the server, stops with it"
	@echo ""
	@STAFF_TOTP_REQUIRED=0 $(BIN)/flask jobs worker --quiet & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT; trap 'exit 130' INT TERM; \
	STAFF_TOTP_REQUIRED=0 $(BIN)/flask run --host $(HOST) --port $(PORT)

## Tests: every test on PostgreSQL (the production database), and every test but the browser
## tests on SQLite too: the browser tests drive pages, not SQL, and take half the suite's time.
## The two passes run side by side (two cores; separate databases and temporary folders); the
## SQLite pass's output follows the PostgreSQL pass's, and either failing fails the target.
## Without PostgreSQL or Chromium the affected tests skip with a reason; with CI=true they fail.
test: install-dev compile-strings
	$(BIN)/ruff check participation tests benchmarks
	$(BIN)/mypy
	@rm -f .sqlite-pass.log
	@$(BIN)/pytest -p no:cacheprovider --ignore=tests/e2e > .sqlite-pass.log 2>&1 & sqlite=$$!; \
	TEST_DATABASE_URL=$(PG_TEST_URL) $(BIN)/pytest -p no:cacheprovider; postgres=$$?; \
	wait $$sqlite; lite=$$?; \
	echo "==> The SQLite pass (every test but the browser tests):"; cat .sqlite-pass.log; \
	echo "==> PostgreSQL pass exit $$postgres, SQLite pass exit $$lite"; \
	test $$postgres -eq 0 -a $$lite -eq 0

lint: install-dev
	$(BIN)/ruff check participation tests benchmarks

typecheck: install-dev
	$(BIN)/mypy

check: lint typecheck test

bench: install-dev compile-strings
	$(BIN)/python benchmarks/peers.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
