# TinyTorch course. `make help` lists the targets.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: help venv build check demo test bench lab clean sandbox grade

help:
	@echo "make demo    set up .venv, build, autograde a sample class, print its scores"
	@echo "make test    set up .venv if needed, run the whole test suite"
	@echo "make build   regenerate source/, release/ and tinytorch/ from modules/"
	@echo "make check   fail if source/, release/ or tinytorch/ is out of date"
	@echo "make bench   performance ratios against plain numpy (and PyTorch if installed)"
	@echo "             WORKLOAD=grading: notebooks graded per minute (1 and 2 workers); WORKLOAD=all"
	@echo "make lab     open JupyterLab on the student notebooks in release/"
	@echo "make sandbox install the grading sandbox kernel into .venv (root: with a user switch)"
	@echo "make grade COURSE=dir [WORKERS=2]  grade every submission of a course folder"
	@echo "make clean   remove .venv and build/"

# The environment is rebuilt whenever requirements.txt changes.
$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

venv: $(VENV)/.installed

build: venv
	$(PY) -m autograder build

check: venv
	$(PY) -m autograder build --check

demo: build
	$(PY) -m autograder demo

test: venv
	$(PY) -m pytest tests

WORKLOAD ?= ops
bench: venv
	$(PY) benchmarks/bench.py --workload $(WORKLOAD)

# The kernel nbgrader_config.py selects when it is installed: docs/grading.md.
sandbox: venv
	$(PY) -m autograder sandbox install

WORKERS ?= 2
grade: venv
	@test -n "$(COURSE)" || { echo "usage: make grade COURSE=path/to/course [WORKERS=2]"; exit 2; }
	$(PY) -m autograder grade $(COURSE) --workers $(WORKERS)

# The reference package goes on PYTHONPATH so a module's notebook can import the modules before it.
lab: venv
	PYTHONPATH=$(CURDIR) $(VENV)/bin/jupyter lab --notebook-dir=release

clean:
	rm -rf $(VENV) build
