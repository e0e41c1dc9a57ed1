# Each target sets itself up: a fresh machine needs only Python 3.11+ and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench bench-quick bench-readme report mutate mutate-sample clean

# Quiet: pip's output goes to $(VENV)/install.log and is shown only when the install fails.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "Installing BrightManager and its dependencies into $(VENV) ..."
	@$(BIN)/python -m pip install -q --disable-pip-version-check --upgrade pip > $(VENV)/install.log 2>&1 || true
	@$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[test]' >> $(VENV)/install.log 2>&1 \
		|| { cat $(VENV)/install.log; echo "pip install failed (log: $(VENV)/install.log)"; exit 1; }
	@touch $(STAMP)

run: $(STAMP)
	@$(BIN)/python devserver.py

test: $(STAMP)
	@$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(STAMP)
	@$(BIN)/python -m tests.bench

# Copies the reliability report the last test run wrote (tests/reliability/report.md) into README.
report: $(STAMP)
	@$(BIN)/python -m tests.reliability.report

# Mutation testing of the sync core ([tool.mutmut] in pyproject.toml); not part of make test.
# MUTANTS narrows it, e.g. make mutate MUTANTS='plugins.xero.outbox*'. Work is kept in mutants/
# (git-ignored): a second run retests only what changed.
mutate: $(STAMP)
	@nice -n 10 $(BIN)/mutmut run --max-children $(or $(MUTATE_JOBS),2) $(if $(MUTANTS),'$(MUTANTS)'); $(BIN)/python -m tests.mutation_score

# The whole core's kill rate estimated from a seeded random sample of SAMPLE of its mutants (default
# 400, SEED 19), with a 95% interval; mutants/ must hold the mutants of today's code (any make mutate
# run makes them, e.g. make mutate MUTANTS='plugins.xero.outbox*'). Without them it stops: an empty
# sample would have mutmut run every mutant of the core.
SCORE_SAMPLE = $(BIN)/python -m tests.mutation_score --sample $(or $(SAMPLE),400) --seed $(or $(SEED),19)
mutate-sample: $(STAMP)
	@names="$$($(SCORE_SAMPLE) --names)" && test -n "$$names" || exit 1; \
	nice -n 10 $(BIN)/mutmut run --max-children $(or $(MUTATE_JOBS),2) $$names; $(SCORE_SAMPLE)

# The same benchmarks at tiny sizes (a minute or two): CI runs it so a broken benchmark fails.
bench-quick: $(STAMP)
	@$(BIN)/python -m tests.bench --quick

# Writes README's benchmark table from the last make bench (tests/bench/results.json).
bench-readme: $(STAMP)
	@$(BIN)/python -m tests.bench.readme

clean:
	rm -rf $(VENV) var mutants
