# docsites — two commands on a fresh machine:  make demo  and  make test
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
FLOOR_VENV  ?= .venv-floor
FLOOR_STAMP := $(FLOOR_VENV)/.installed-stamp

.PHONY: demo test test-floor install system-deps clean help

help:
	@echo "make demo   set up $(VENV), crawl the bundled demo site into corpus.db, print a summary"
	@echo "make test   set up $(VENV) and the test services, run the test suite"
	@echo "make test-floor  the test suite again in $(FLOOR_VENV), on the lowest versions pyproject.toml allows"

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# The dependencies at their floors (constraints/floors.txt pins every lower bound of pyproject.toml):
# proves that the ">=" there are versions the code runs on.
$(FLOOR_STAMP): pyproject.toml constraints/floors.txt
	test -x $(FLOOR_VENV)/bin/python || $(PYTHON) -m venv $(FLOOR_VENV)
	$(FLOOR_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(FLOOR_VENV)/bin/python -m pip install --quiet --constraint constraints/floors.txt -e '.[test]'
	$(FLOOR_VENV)/bin/python -m pip check
	touch $@

install: $(STAMP)

# Debian packages the tests drive for real (see scripts/system-deps.sh); skipped when present.
system-deps:
	bash scripts/system-deps.sh

demo: $(STAMP)
	@set -e; port_file=$$(mktemp); \
	$(BIN)/python -m docsites.demo.server --port 0 --port-file $$port_file >/dev/null & server=$$!; \
	trap 'kill $$server 2>/dev/null; rm -f $$port_file' EXIT; \
	for i in $$(seq 50); do [ -s $$port_file ] && break; sleep 0.1; done; \
	echo "crawling the demo site at http://127.0.0.1:$$(cat $$port_file)/ into corpus.db"; \
	$(BIN)/scrapy crawl docsites -a start_urls=http://127.0.0.1:$$(cat $$port_file)/ \
		-s LOG_LEVEL=WARNING -s AUTOTHROTTLE_ENABLED=False -s DOWNLOAD_DELAY=0 -s ALLOWED_ADDRESSES=127.0.0.1; \
	$(BIN)/docsites stats

test: $(STAMP) system-deps
	$(BIN)/ruff check pipelines crawler docsites tests benchmarks
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

test-floor: $(FLOOR_STAMP) system-deps
	$(FLOOR_VENV)/bin/python -m pip freeze | grep -iE '^(scrapy|sqlite-utils|datasketch|numpy|lxml)=='
	$(FLOOR_VENV)/bin/python -m pytest -q -p no:cacheprovider

clean:
	rm -rf $(VENV) $(FLOOR_VENV) *.egg-info .pytest_cache .mypy_cache .ruff_cache build
