# hoso — two commands: `make run` and `make test`. Everything they need is installed from here.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMPS := .make
# Debian packages the product needs at run time: fonts for the PDF control slip; Tesseract with its
# Vietnamese data for OCR; Ghostscript and qpdf for PDF/A; poppler for rendering pages.
APT_PACKAGES := fonts-dejavu-core tesseract-ocr tesseract-ocr-vie ghostscript qpdf poppler-utils
# Debian packages only the tests need: Chromium, driven by Playwright in the browser tests (tests/e2e); it is
# never downloaded by Playwright itself.
TEST_APT_PACKAGES := chromium
# The PostgreSQL that `make test` also runs the repository and API suites against.
HOSO_TEST_PG_URL ?= postgresql://postgres@127.0.0.1:5432/postgres
export HOSO_TEST_PG_URL
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: help run test bench system-deps test-system-deps venv lint typecheck check-imports unit services-up demo clean

help:
	@echo "make run    — cài đặt, tạo dữ liệu mẫu và chạy hoso (install, load demo data, serve)"
	@echo "make test   — chạy toàn bộ kiểm thử (lint, types, unit, contract, api on SQLite + PostgreSQL)"
	@echo "make bench  — đo hiệu năng (benchmarks, printed tables)"

$(STAMPS):
	@mkdir -p $(STAMPS)

# Debian packages, installed only when missing (apt-get update runs once, then only if needed).
define apt_install
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Cài gói hệ thống / installing system packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	@touch $@
endef

system-deps: $(STAMPS)/system-deps
$(STAMPS)/system-deps: Makefile | $(STAMPS)
	$(call apt_install,$(APT_PACKAGES))

test-system-deps: $(STAMPS)/test-system-deps
$(STAMPS)/test-system-deps: Makefile | $(STAMPS)
	$(call apt_install,$(TEST_APT_PACKAGES))

venv: $(STAMPS)/venv
$(STAMPS)/venv: pyproject.toml | $(STAMPS)
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --upgrade pip
	@$(PY) -m pip install -q -e ".[test]"
	@touch $@

run: system-deps venv
	@HOSO_DATA_DIR=$${HOSO_DATA_DIR:-var} $(VENV)/bin/hoso load-demo
	@HOSO_DATA_DIR=$${HOSO_DATA_DIR:-var} $(VENV)/bin/hoso serve --no-migrate --host $(HOST) --port $(PORT)

# Start the machine's PostgreSQL and Redis if they have stopped (the tests use both; see README).
services-up:
	@pg_isready -q -h 127.0.0.1 -p 5432 || { \
	  echo "Khởi động PostgreSQL / starting PostgreSQL"; \
	  pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start; \
	  for i in $$(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done; }
	@redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 || { \
	  echo "Khởi động Redis / starting Redis"; \
	  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
	    --dir /var/lib/redis --logfile /var/log/redis/ci.log; \
	  for i in $$(seq 1 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 1; done; }

lint: venv
	$(VENV)/bin/ruff check .

typecheck: venv
	$(VENV)/bin/mypy

check-imports: venv
	$(VENV)/bin/lint-imports --no-cache

test: system-deps test-system-deps venv services-up lint typecheck check-imports
	$(PY) -m pytest -p no:cacheprovider --durations=25

bench: system-deps venv services-up
	$(PY) -m bench.transitions
	$(PY) -m bench.reads
	$(PY) -m bench.ocr
	$(PY) -m bench.search
	$(PY) -m bench.upload_memory
	$(PY) -m bench.audit
	$(PY) -m bench.archive
	$(PY) -m bench.fixity
	$(PY) -m bench.bags
	$(PY) -m bench.workers
	$(PY) -m bench.backup
	$(PY) -m bench.hostile
	$(PY) -m bench.metrics_scrape
	$(PY) -m bench.outbox
	$(PY) -m bench.bulk_import

clean:
	rm -rf $(STAMPS) var .pytest_cache .mypy_cache .ruff_cache
