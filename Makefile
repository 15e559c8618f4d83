# riskkit: two commands do everything on a fresh machine with Python 3.11 and pip.
#   make reports   create .venv, install, generate data/sample, execute every notebook into reports/
#                  (the scorecard on the customer book, and on German Credit as scorecard_development_german)
#   make test      create .venv, install, run pytest (unit tests + nbval over notebooks/ + the docs build)
#   make docs      build the documentation site into docs/_build/html (warnings are errors)
#   make bench     every bench/bench_*.py (.venv) and bench/anchors/anchor_*.py (.venv-anchors, other
#                  libraries with their own pins) in one run -> bench/RESULTS_latest.md
#                  (BENCH_QUICK=1 make bench: a small run that proves the pipeline)
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
ANCHORS       := .venv-anchors
ANCHORS_STAMP := $(ANCHORS)/.installed-stamp

.PHONY: install anchors data reports notebooks test docs bench clean help

help:
	@echo "make reports | make test | make docs | make data | make notebooks | make bench | make anchors | make clean"

$(STAMP): pyproject.toml requirements/constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=23"
	$(BIN)/python -m pip install --quiet -c requirements/constraints.txt -e ".[test,docs]"
	touch $(STAMP)

install: $(STAMP)

# the benchmark anchors (optbinning, toad, scorecardpy) need pins riskkit does not use (pandas 2)
$(ANCHORS_STAMP): requirements/anchors.txt
	$(PYTHON) -m venv $(ANCHORS)
	$(ANCHORS)/bin/python -m pip install --quiet --upgrade "pip>=23"
	$(ANCHORS)/bin/python -m pip install --quiet -r requirements/anchors.txt
	touch $(ANCHORS_STAMP)

anchors: $(ANCHORS_STAMP)

data: $(STAMP)
	$(BIN)/riskkit synth --n-customers 2000 --seed 42 --output data/sample

reports: data
	$(BIN)/riskkit report --all --output-dir reports

# re-execute notebooks/ in place (the committed outputs of the default parameters)
notebooks: data
	$(BIN)/riskkit report --all --refresh

test: $(STAMP)
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -p no:cacheprovider --nbval tests notebooks

# the site: user guide, API reference from every __all__, tutorials executed by myst-nb;
# -W: a warning (a broken docstring, a failing tutorial) fails the build
docs: $(STAMP)
	$(BIN)/python -m sphinx -W --keep-going -b html docs docs/_build/html

bench: $(STAMP) $(ANCHORS_STAMP)
	$(BIN)/python bench/collect.py --anchors-python $(ANCHORS)/bin/python --output bench/RESULTS_latest.md \
		--command "$(if $(BENCH_QUICK),BENCH_QUICK=$(BENCH_QUICK) )make bench"

clean:
	rm -rf $(VENV) $(ANCHORS) reports/*.ipynb reports/*.html bench/logs docs/_build docs/api docs/jupyter_execute
