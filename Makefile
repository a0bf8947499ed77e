# The two set-up commands of the README:
#   make demo   installs vosengine and runs the demo on the embedded defaults
#   make test   installs vosengine with its test extras and runs the whole test suite
PYTHON ?= python3
PIP ?= $(PYTHON) -m pip

.PHONY: demo test install install-test lint typecheck stubtest pytest bench compare fuzz

demo: install
	$(PYTHON) examples/demo.py

install:
	$(PIP) install --quiet .

install-test:
	$(PIP) install --quiet -e '.[test]'
	# Casbin's SQLAlchemy adapter declares the old "casbin" distribution, which would install a
	# second copy of the casbin package over pycasbin's: it comes without its dependencies
	# (SQLAlchemy comes with the test extras)
	$(PIP) install --quiet --no-deps 'casbin-sqlalchemy-adapter>=1.4'

lint:
	$(PYTHON) -m ruff check .
	$(PYTHON) -m ruff format --check .

typecheck:
	$(PYTHON) -m mypy

# the .pyi stubs against the compiled modules as built (needs them built: make install-test)
stubtest:
	$(PYTHON) -m mypy.stubtest vosengine._prefix vosengine.rating._kernel vosengine.routing._walk \
	    vosengine.routing._slots vosengine.ledger._holds vosengine.admission._admit \
	    vosengine.sip._sipfast \
	    --allowlist tests/stubtest-allowlist.txt

pytest:
	$(PYTHON) -m pytest

test: install-test lint typecheck pytest

bench: install-test
	$(PIP) install --quiet -e '.[bench]'
	$(PYTHON) -m pytest benchmarks --benchmark-enable --benchmark-group-by=group

compare:
	$(PIP) install --quiet -e '.[bench]'
	$(PYTHON) benchmarks/compare_prefix.py

fuzz:
	$(PIP) install --quiet -e '.[fuzz]'
	corpus=$$(mktemp -d) && cp fuzz/seeds/* $$corpus/ && \
	    $(PYTHON) fuzz/fuzz_sip.py -max_total_time=60 -artifact_prefix=$$corpus/ $$corpus
