# Two commands do all the set-up on a fresh Debian machine, idempotently:
#   make demo    migrate synthetic charts through a local S3 endpoint (DEMO_ARGS=--no-serve to stop after the summary)
#   make test    lint, type-check and run the whole test suite
SHELL := /bin/bash
VENV := .venv
PYTHON ?= python3
STAMP := $(VENV)/.installed
# Tesseract with Vietnamese and English models (and the Vietnamese script model for second opinions), poppler for PDFs, the fonts the chart generator draws with
APT_PACKAGES := tesseract-ocr tesseract-ocr-vie tesseract-ocr-eng tesseract-ocr-script-viet poppler-utils \
	fonts-dejavu-core fonts-liberation2 fonts-noto-core
# the browser the review desk's tests drive (Debian's build; nothing is downloaded at run time)
TEST_APT_PACKAGES := chromium
DEMO_ARGS ?=

.PHONY: install system-deps test-deps apt-install demo test lint bench bench-profile bench-models bench-accuracy bench-accuracy-grid bench-load bench-review bench-real clean

install: system-deps $(STAMP)

system-deps:
	@$(MAKE) --no-print-directory apt-install PACKAGES="$(APT_PACKAGES)"

test-deps:
	@$(MAKE) --no-print-directory apt-install PACKAGES="$(TEST_APT_PACKAGES)"

apt-install:
	@missing=$$(for p in $(PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:" $$missing; \
		sudo=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
		$$sudo apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(STAMP): pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e ".[dev]"
	touch $(STAMP)

demo: install
	$(VENV)/bin/emr-migrate demo $(DEMO_ARGS)

lint: install
	$(VENV)/bin/ruff check pipeline flows schemas tests
	$(VENV)/bin/ruff format --check pipeline flows schemas tests
	$(VENV)/bin/mypy pipeline flows schemas

test: lint test-deps
	$(VENV)/bin/pytest

bench: install
	$(VENV)/bin/python -m pipeline.bench throughput

bench-profile: install
	$(VENV)/bin/python -m pipeline.bench profile --charts 6 --seed 77

# the npm package's `vie` best network, fetched into a cache once, to measure against Debian's
NPM_VIE := var/models/npm/4.0.0_best_int/vie.traineddata.gz
$(NPM_VIE):
	mkdir -p var/models/npm
	cd var/models/npm && npm pack @tesseract.js-data/vie@1.0.0 --cache ../npm-cache --silent \
		&& tar -xzf tesseract.js-data-vie-1.0.0.tgz --strip-components=1 && rm tesseract.js-data-vie-1.0.0.tgz

bench-models: install
	@if command -v npm >/dev/null; then $(MAKE) --no-print-directory $(NPM_VIE); fi
	$(VENV)/bin/python -m pipeline.bench models --charts 4 --images 59 \
		$$( [ -f $(NPM_VIE) ] && echo --npm-model $(NPM_VIE) )

bench-accuracy: install
	$(VENV)/bin/python -m pipeline.bench accuracy --baseline --charts 60 --seed 4242

bench-accuracy-grid: install
	$(VENV)/bin/python -m pipeline.bench accuracy --charts 60 --seed 4242 --design grid

bench-review: install
	$(VENV)/bin/python -m pipeline.bench_review

bench-load: install
	$(VENV)/bin/python -m pipeline.bench load

clean:
	rm -rf $(VENV) var test-output bench-output

bench-real: install
	$(VENV)/bin/python -m pipeline.realdata
