# TinyTorch course. `make help` lists the targets.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

# The JupyterHub environment: one virtualenv that the hub and every user's server run from,
# so it must be readable by all users. Built from the system Python (/usr/bin/python3), not
# from a Python under /root or a home folder that other users cannot enter.
HUB_PYTHON ?= /usr/bin/python3
HUB_VENV ?= /opt/tinytorch-hub/venv
# configurable-http-proxy, JupyterHub's proxy, comes from npm.
CHP_VERSION ?= 5.3.0

.PHONY: help venv build check demo test bench milestones lab clean student-dist hub-venv hub-proxy hub-deps test-hub sandbox grade

help:
	@echo "make demo          set up .venv, build, autograde a sample class, print its scores"
	@echo "make test          set up .venv if needed, run the whole test suite"
	@echo "make build         regenerate source/, release/ and tinytorch/ from modules/"
	@echo "make check         fail if source/, release/ or tinytorch/ is out of date"
	@echo "make bench         one table: training steps, Conv2d, GPT, backward chains and autograding,"
	@echo "                   as ratios against plain numpy (and PyTorch if installed); a few minutes"
	@echo "                   WORKLOAD=ops: without the autograding rows (under a minute); WORKLOAD=grading"
	@echo "make milestones    the history milestones (1957 perceptron ... 2018 MLPerf), full runs"
	@echo "make lab           open JupyterLab on the student notebooks in release/"
	@echo "make sandbox       install the grading sandbox kernel into .venv (root: with a user switch)"
	@echo "make grade COURSE=dir [WORKERS=2]  grade every submission of a course folder"
	@echo "make student-dist  build dist/student/: what a student or a hub image gets"
	@echo "make hub-deps      install JupyterHub ($(HUB_VENV)) and configurable-http-proxy (npm)"
	@echo "make test-hub      the end-to-end JupyterHub test (root: it creates Unix users)"
	@echo "make clean         remove .venv, build/ and dist/"

# The environment is rebuilt whenever requirements.txt or pyproject.toml changes. The course
# itself is installed editable and without dependencies (requirements.txt pins those): that
# puts the `tito` command into .venv/bin.
$(VENV)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
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

WORKLOAD ?= all
bench: venv
	$(PY) benchmarks/bench.py --workload $(WORKLOAD)

# Each script prints its report and saves its figure under build/milestones/ (milestones/README.md).
milestones: venv
	@for script in milestones/[0-9]*.py; do $(PY) $$script || exit 1; echo; done

# The kernel nbgrader_config.py selects when it is installed: docs/grading.md.
sandbox: venv
	$(PY) -m autograder sandbox install

WORKERS ?= 2
grade: venv
	@test -n "$(COURSE)" || { echo "usage: make grade COURSE=path/to/course [WORKERS=2]"; exit 2; }
	$(PY) -m autograder grade $(COURSE) --workers $(WORKERS)

# The reference package goes on PYTHONPATH so a module's notebook can import the modules before it.
lab: venv
	PYTHONPATH=$(CURDIR) OPENBLAS_NUM_THREADS=$${OPENBLAS_NUM_THREADS:-1} OMP_NUM_THREADS=$${OMP_NUM_THREADS:-1} \
		$(VENV)/bin/jupyter lab --notebook-dir=release

student-dist: venv
	$(PY) -m autograder.student_dist dist/student

$(HUB_VENV)/.installed: requirements.txt deploy/jupyterhub/requirements.txt
	$(HUB_PYTHON) -m venv $(HUB_VENV)
	$(HUB_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(HUB_VENV)/bin/python -m pip install --quiet -r requirements.txt -r deploy/jupyterhub/requirements.txt
	touch $@

hub-venv: $(HUB_VENV)/.installed

hub-proxy:
	command -v configurable-http-proxy >/dev/null && configurable-http-proxy --version | grep -qx '$(CHP_VERSION)' \
		|| npm install --global --no-fund --no-audit configurable-http-proxy@$(CHP_VERSION)

hub-deps: hub-venv hub-proxy

test-hub: venv hub-deps
	TINYTORCH_HUB_VENV=$(HUB_VENV) $(PY) -m pytest tests/hub -v

clean:
	rm -rf $(VENV) build dist
