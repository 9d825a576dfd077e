# Kho lưu trữ số — one command to run, one to test. See README.md.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
DEBIAN_PACKAGES := gettext libmagic1 postgresql postgresql-contrib \
	tesseract-ocr tesseract-ocr-vie libvips42 ghostscript pngquant unpaper fonts-dejavu-core poppler-utils \
	chromium

.PHONY: setup demo test test-sqlite test-postgres lint checks messages bench clean

setup: $(VENV)/.installed $(VENV)/.messages-compiled

$(VENV)/.installed: requirements.txt
	@bash scripts/install-debian-packages.sh $(DEBIAN_PACKAGES)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.messages-compiled: $(wildcard locale/*/LC_MESSAGES/django.po locale_wagtail/*/LC_MESSAGES/django.po) | $(VENV)/.installed
	$(MANAGE) compilemessages --ignore=.venv -v0
	touch $@

demo: setup
	$(MANAGE) migrate --no-input
	$(MANAGE) seed_demo
	@echo "Site: http://127.0.0.1:8000/  ·  Admin: http://127.0.0.1:8000/admin/ (admin / admin-demo-2025)"
	@trap 'kill 0' EXIT; $(MANAGE) db_worker & $(MANAGE) runserver 127.0.0.1:8000

lint: setup
	$(BIN)/ruff check .

checks: setup
	$(MANAGE) check
	$(MANAGE) makemigrations --check --dry-run
	SECRET_KEY=check-deploy-$$RANDOM$$RANDOM-not-a-real-key-but-long-enough-for-the-check \
	ALLOWED_HOSTS=archive.example.vn CSRF_TRUSTED_ORIGINS=https://archive.example.vn \
	DATABASE_URL=sqlite:///check-deploy.sqlite3 \
	$(MANAGE) check --deploy --fail-level WARNING --settings=archivecms.settings.production

test-sqlite: setup
	env -u DATABASE_URL $(BIN)/pytest -q

test-postgres: setup
	@url=$$(bash scripts/postgres-test-database.sh) || { echo "PostgreSQL not reachable: skipping the PostgreSQL run"; exit 0; }; \
	echo "Running the suite on PostgreSQL"; DATABASE_URL=$$url $(BIN)/pytest -q

test: lint checks test-sqlite test-postgres

messages: setup
	$(MANAGE) makemessages -l en -l vi --ignore=.venv --ignore=tests --no-obsolete
	$(MANAGE) compilemessages --ignore=.venv

bench: setup
	@url=$$(bash scripts/postgres-test-database.sh) && DATABASE_URL=$$url $(BIN)/pytest tests/benchmarks -s -p no:cacheprovider -o addopts=""

clean:
	rm -rf $(VENV) db.sqlite3 media static_collected
