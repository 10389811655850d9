# The README's two commands: `make run` and `make test`. Both set up what they need.
.DEFAULT_GOAL := help
.PHONY: help run test lint format messages chromium sshd gettext clean screenshots

VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
SANDBOX_PORT ?= 8765
CHROMIUM ?= /usr/bin/chromium
export CHROMIUM

# The first Python >= 3.12 on PATH (pyenv shims included; .python-version asks for 3.12).
PYTHON ?= $(shell for p in python3.13 python3.12 python3 python; do \
	$$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1 && { echo $$p; break; }; done)

help:
	@echo "make run    start the dashboard, the task worker and the Thulium sandbox (Ctrl-C stops all)"
	@echo "make test   run the whole test suite, browser tests and lint included"

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@test -n "$(PYTHON)" || { echo "make: Python 3.12 or newer is needed and none was found on PATH." \
		"Install it (e.g. apt-get install python3.12, or pyenv install 3.12) and run make again."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

# Compiled with polib, so a machine without GNU gettext can still run the product.
MESSAGES_IGNORE := --ignore '.venv/*' --ignore 'thulium_sandbox/*' --ignore 'tests/*' \
	--ignore 'bench/*' --ignore 'docs/*'
MO_FILES := $(patsubst %.po,%.mo,$(wildcard locale/*/LC_MESSAGES/django.po))
locale/%.mo: locale/%.po $(VENV)/.installed
	$(PY) -c "import polib, sys; polib.pofile(sys.argv[1]).save_as_mofile(sys.argv[2])" $< $@

run: export DEBUG := $(or $(DEBUG),1)
run: $(VENV)/.installed $(MO_FILES)
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py collectstatic --noinput -v0
	$(PY) manage.py demo --port $(PORT) --sandbox-port $(SANDBOX_PORT)

# Tests never read a real secret; pytest-django turns DEBUG off while they run. They run on
# TEST_WORKERS processes (pytest-xdist), each with its own test database, sandbox and browser:
# three on two cores, as much of the suite waits on subprocesses, the sandbox and Chromium;
# a file marked xdist_group runs on one worker, so its module fixtures are made once.
TEST_WORKERS ?= 3
test: export SECRET_KEY := $(or $(SECRET_KEY),tests-only-not-a-secret)
test: export AUDIT_KEY := $(or $(AUDIT_KEY),tests-only-audit-key-not-a-secret)
test: export CONNECTIONS_KEY := $(or $(CONNECTIONS_KEY),tests-only-connections-key-not-a-secret)
test: export DO_NOT_CONTACT_KEY := $(or $(DO_NOT_CONTACT_KEY),tests-only-do-not-contact-key-not-a-secret)
test: $(VENV)/.installed $(MO_FILES) chromium sshd gettext lint
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadgroup

# mypy's Django plugin imports the settings, which need these (never real ones) to load.
lint: export SECRET_KEY := $(or $(SECRET_KEY),lint-only-not-a-secret)
lint: export AUDIT_KEY := $(or $(AUDIT_KEY),lint-only-audit-key-not-a-secret)
lint: $(VENV)/.installed
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

# The README's screenshots, taken by driving the product in Chromium (docs/screenshots.py).
screenshots: export SECRET_KEY := $(or $(SECRET_KEY),screenshots-only-not-a-secret)
screenshots: export AUDIT_KEY := $(or $(AUDIT_KEY),screenshots-only-audit-key)
screenshots: export CONNECTIONS_KEY := $(or $(CONNECTIONS_KEY),screenshots-only-connections-key)
screenshots: $(VENV)/.installed $(MO_FILES) chromium
	$(PY) docs/screenshots.py

format: $(VENV)/.installed
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

# The SFTP imports are tested against a real OpenSSH server the tests start on loopback.
sshd:
	@if [ ! -x /usr/sbin/sshd ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "OpenSSH's server not found: installing Debian's openssh-server package"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssh-server >/dev/null; \
	fi
	@test -x /usr/sbin/sshd || { echo "make: the SFTP import tests need OpenSSH's server." \
		"Install it with: sudo apt-get install openssh-server"; exit 1; }

# Browser tests drive Debian's Chromium; they are never skipped, so get it or say how.
chromium:
	@if [ ! -x "$(CHROMIUM)" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "Chromium not found at $(CHROMIUM): installing Debian's chromium package"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
		fi; \
	fi
	@test -x "$(CHROMIUM)" || { echo "make: the browser tests need Chromium at $(CHROMIUM)." \
		"Install it with: sudo apt-get install chromium  (or point CHROMIUM=/path/to/chromium)."; exit 1; }

# The translation test extracts the strings anew (xgettext) to find any not in the Polish file.
gettext:
	@if ! command -v xgettext >/dev/null 2>&1 && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "xgettext not found: installing Debian's gettext package"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gettext >/dev/null; \
	fi
	@command -v xgettext >/dev/null 2>&1 || { echo "make: the translation test needs GNU gettext." \
		"Install it with: sudo apt-get install gettext"; exit 1; }

# Developers: after changing user-facing strings (needs GNU gettext), then translate the .po.
messages: $(VENV)/.installed
	DEBUG=1 $(PY) manage.py makemessages --locale pl --no-obsolete $(MESSAGES_IGNORE)

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
