# The README's two commands: `make demo` and `make test`. Both set up .venv first.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.mm_cl_addon-installed

.PHONY: demo test lint setup clean

setup: $(STAMP)

$(STAMP): setup.py requirements/runtime.txt requirements/optional.txt requirements/tests.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q 'setuptools<82' wheel
	$(PY) -m pip install -q torch==2.14.1 torchvision==0.29.1
	$(PY) -c 'import mmcv.ops' 2>/dev/null || $(PY) -m pip install -q 'mmcv-lite>=2.0,<2.3'
	$(PY) -m pip install -q --no-build-isolation -e '.[tests,optional]'
	touch $(STAMP)

demo: $(STAMP)
	$(PY) tools/continual/demo.py --work-dir work_dirs/demo

lint: $(STAMP)
	$(VENV)/bin/ruff check mm_cl_addon tools tests benchmarks configs

test: lint
	$(VENV)/bin/pytest --durations=20

clean:
	rm -rf work_dirs
