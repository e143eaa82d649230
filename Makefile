# The README's two commands: `make demo` and `make test`. Both set up .venv first.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.mm_cl_addon-installed
DEMO_DIR ?= work_dirs/demo
# NAME=CONFIG pairs, one a line in tools/continual/demo_runs.txt (tools/reproduce.py reads it
# too); each method adds its row there.
DEMO_RUNS := $(shell grep -v '^\#' tools/continual/demo_runs.txt)

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

# Two runs at a time: on a busy 2-core machine the demo then gets twice the share of the CPU
# (1:26 -> 0:50 idle, 4:00 -> 2:33 with four competing processes; README).
DEMO_JOBS ?= 2
DEMO_NAMES := $(foreach run,$(DEMO_RUNS),$(firstword $(subst =, ,$(run))))
DEMO_DONE := $(addprefix $(DEMO_DIR)/,$(addsuffix .done,$(DEMO_NAMES)))

demo: $(STAMP)
	@mkdir -p $(DEMO_DIR)
	@rm -f $(DEMO_DONE)
	@$(MAKE) --no-print-directory -j$(DEMO_JOBS) $(DEMO_DONE)
	@$(PY) tools/continual/compare.py $(foreach name,$(DEMO_NAMES),$(name)=$(DEMO_DIR)/$(name))
	@echo "accuracy-matrix heatmap: $(DEMO_DIR)/finetune/continual_accuracy_matrix.png"

# One target per demo row: $(DEMO_DIR)/NAME.done trains CONFIG into $(DEMO_DIR)/NAME.
define demo_row
$(DEMO_DIR)/$(1).done:
	@echo "training $(1): $(2) (log: $(DEMO_DIR)/$(1).log)"
	@$(PY) tools/train.py $(2) --work-dir $(DEMO_DIR)/$(1) > $(DEMO_DIR)/$(1).log 2>&1 \
		|| { tail -n 40 $(DEMO_DIR)/$(1).log; exit 1; }
	@touch $$@
endef
$(foreach run,$(DEMO_RUNS),$(eval $(call demo_row,$(firstword $(subst =, ,$(run))),$(lastword $(subst =, ,$(run))))))

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
reproduce: $(addprefix reproduce-,demo soups soups-few-shot dery dery-synflow retention retention-rotated \
    memory-head-2d)

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
