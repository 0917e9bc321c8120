# salescore: the two commands are `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOME_DIR ?= salescore-data
# Two workers (the machines have 2 cores), whole files to each: a module's fixtures run once.
PYTEST_ARGS ?= -n 2 --dist loadfile --durations=40

.PHONY: demo test test-cluster lint browser bench clean venv venv-dev

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamp files so that a second `make` does not reinstall; pyproject changes reinstall.
$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev,spark]'
	touch $@ $(VENV)/.installed

venv: $(VENV)/.installed
venv-dev: $(VENV)/.installed-dev

# The demo's data runs up to yesterday, so this month and this quarter are in progress; the
# periods below are relative (this-month, last-quarter, ...) and follow the calendar. Last year
# and this year are scored for the trends and comparisons, then this month is shown.
demo: venv
	$(BIN)/salescore demo --home $(HOME_DIR) --scale small --seed 42 --logins-later
	$(BIN)/salescore info --home $(HOME_DIR)
	$(BIN)/salescore kpi compute revenue_won,win_rate,csat_avg,avg_sales_cycle_days --by team \
		--period last-quarter --home $(HOME_DIR)
	$(BIN)/salescore score --period last-year --home $(HOME_DIR) >/dev/null
	$(BIN)/salescore score --period this-year --home $(HOME_DIR) >/dev/null
	$(BIN)/salescore score --period this-month --top 5 --home $(HOME_DIR)
	$(BIN)/salescore demo --logins --period this-month --home $(HOME_DIR)
	@echo "Serving the web app on http://127.0.0.1:8000 (sign in with a log-in above; Ctrl-C stops) / 网页服务已启动"
	$(BIN)/salescore serve --host 127.0.0.1 --port 8000 --home $(HOME_DIR)

lint: venv-dev
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

# Chromium and CJK fonts for tests/app/test_pages_browser.py, from Debian (Playwright's own
# browser download is not used). Without root or apt-get it says so and the browser tests skip.
# fonts-droid-fallback: a TrueType (glyf) CJK font that the PDF reports embed (Noto CJK is CFF,
# which reportlab cannot embed), with DejaVu Sans for digits and Latin text; poppler-utils:
# pdftotext for their tests.
CJK_FONT    := /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc
PDF_FONT    := /usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf
APT_INSTALL := DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium fonts-noto-cjk \
	fonts-droid-fallback fonts-dejavu-core poppler-utils >/dev/null
browser:
	@if [ -x /usr/bin/chromium ] && [ -e $(CJK_FONT) ] && [ -e $(PDF_FONT) ] \
		&& command -v pdftotext >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		{ $(APT_INSTALL) || { apt-get update -q >/dev/null && $(APT_INSTALL); }; } \
		|| echo "apt-get could not install chromium: the browser tests will skip"; \
	else echo "no /usr/bin/chromium and no root apt-get: the browser tests will skip"; fi

test: lint browser
	@$(BIN)/python -m pytest -m "not cluster" $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing on purpose"; exit 1; fi; \
	exit $$rc

# The Spark standalone cluster test (a master and two workers on 127.0.0.1), apart from
# `make test` because it takes minutes; .ci/run runs both. Java 17+ is needed: without it the
# test is skipped saying why, or fails with SALESCORE_TEST_SPARK_CLUSTER=required (as .ci/run
# sets). Exit code 5 (nothing collected) fails, as in `make test`.
test-cluster: venv-dev
	@$(BIN)/python -m pytest -ra -m cluster tests/engine/test_spark_cluster.py; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no cluster test: failing on purpose"; exit 1; fi; \
	exit $$rc

bench: venv-dev
	$(BIN)/python bench/bench_demo.py
	$(BIN)/python bench/bench_ingest.py
	$(BIN)/python bench/bench_kpis.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis build src/*.egg-info
