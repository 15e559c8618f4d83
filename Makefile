# riskkit: two commands do everything on a fresh machine with Python 3.11 and pip.
#   make reports   create .venv, install, generate data/sample, execute every notebook into reports/
#                  (the scorecard on the customer book, and on German Credit as scorecard_development_german)
#   make test      create .venv, install, run pytest (unit tests + nbval over notebooks/)
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install data reports notebooks test bench clean help

help:
	@echo "make reports | make test | make data | make notebooks | make bench | make clean"

$(STAMP): pyproject.toml requirements/constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=23"
	$(BIN)/python -m pip install --quiet -c requirements/constraints.txt -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

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

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -c requirements/constraints.txt -e ".[bench]"
	for script in bench/bench_*.py; do $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) reports/*.ipynb reports/*.html
