# The README's two commands: `make demo` and `make test`. Both set up .venv first.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.mm_cl_addon-installed
DEMO_DIR ?= work_dirs/demo

PEERS_VENV ?= .venv-peers
PEERS_STAMP := $(PEERS_VENV)/.peers-installed

.PHONY: demo test lint setup clean bench reproduce

setup: $(STAMP)

# No build isolation: setup.py must see a full mmcv, if there is one, to keep mmcv-lite out.
$(STAMP): setup.py requirements/runtime.txt requirements/optional.txt requirements/tests.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q 'setuptools<82' wheel
	$(PY) -m pip install -q 'setuptools<82' torch==2.14.1 torchvision==0.29.1
	$(PY) -m pip install -q --no-build-isolation -e '.[all]'
	touch $(STAMP)

# Every method in its own setting, then one table (tools/demo.py; its jobs are listed there).
# Two jobs at a time: about 2.5 minutes on 2 idle cores.
DEMO_JOBS ?= 2
demo: $(STAMP)
	OMP_NUM_THREADS=1 $(PY) tools/demo.py --work-dir $(DEMO_DIR) --jobs $(DEMO_JOBS)

# The peers (requirements/peers.txt) get a venv of their own, with the same torch and this
# package, so their pins never touch .venv and both sides run on the same stack.
$(PEERS_STAMP): setup.py requirements/runtime.txt requirements/peers.txt
	test -x $(PEERS_VENV)/bin/python || python3 -m venv $(PEERS_VENV)
	$(PEERS_VENV)/bin/python -m pip install -q 'setuptools<82' wheel torch==2.14.1 torchvision==0.29.1
	$(PEERS_VENV)/bin/python -m pip install -q --no-build-isolation -e '.[all]'
	$(PEERS_VENV)/bin/python -m pip install -q -r requirements/peers.txt
	touch $(PEERS_STAMP)

# Every benchmark, one at a time (about an hour on 2 cores): work_dirs/bench/report.md and the
# figures in docs/benchmarks.md.
bench: $(STAMP) $(PEERS_STAMP)
	OMP_NUM_THREADS=1 $(PY) benchmarks/run_all.py --out-dir work_dirs/bench --docs docs/benchmarks.md

# Rerun each published table and check it against its page (tools/reproduce.py); -j2 runs two
# at a time.
reproduce: $(addprefix reproduce-,demo soups soups-few-shot soups-class-transfer dery dery-synflow \
    retention retention-rotated memory-head-2d)

reproduce-%: $(STAMP)
	OMP_NUM_THREADS=1 $(PY) tools/reproduce.py $*

lint: $(STAMP)
	$(VENV)/bin/ruff check mm_cl_addon tools tests benchmarks configs

# Parallel workers, one thread each (oversubscribed threads made the suite several times slower).
TEST_WORKERS ?= auto
test: lint
	OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 $(VENV)/bin/pytest -n $(TEST_WORKERS) --durations=20

clean:
	rm -rf work_dirs
