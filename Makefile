# The README's two commands: `make repro` and `make test`. Both build the same venv.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
export PATH := $(abspath $(BIN)):$(PATH)
# No byte-compiling of the 5 GB of installed packages (a third of the set-up time):
# modules are compiled on first import, the few the pipeline uses, and cached: every stage
# is a new process importing torch, so an inherited PYTHONDONTWRITEBYTECODE=1 would make
# each one recompile them (seconds per stage). Empty means unset to Python.
export PYTHONDONTWRITEBYTECODE :=
WORDNET_STAMP := $(VENV)/.wordnet

.PHONY: setup wordnet params check repro test test-fast lint bench gpu-check ablation seeds probe verify verify-env fsck figures \
        reference study-serve clean-venv

setup: $(VENV)/.installed wordnet

# uv where it can be had (from pip's own package sources), else pip: tools/install_env.py.
$(VENV)/.installed: requirements.txt pyproject.toml tools/install_env.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python tools/install_env.py $(BIN)/python
	touch $@

# WordNet 3.0: use what is there; else NLTK's data (internet); else Debian's wordnet-base.
# Checked once: the stamp holds the folder it was found in, and is trusted while that folder
# still holds WordNet's data.noun (a shell test, no Python start-up).
wordnet: $(VENV)/.installed
	@if [ -f $(WORDNET_STAMP) ] && [ -f "$$(cat $(WORDNET_STAMP))/data.noun" ]; then exit 0; fi; \
	find_wn='from colorization.wordnet import load_wordnet; print(load_wordnet().root.path)'; \
	$(BIN)/python -c "$$find_wn" > $(WORDNET_STAMP).tmp 2>/dev/null \
	|| { timeout 120 $(BIN)/python -m nltk.downloader -q wordnet 2>/dev/null \
	     && $(BIN)/python -c "$$find_wn" > $(WORDNET_STAMP).tmp 2>/dev/null; } \
	|| { echo "Installing Debian's wordnet-base"; \
	     $$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get install -y -q wordnet-base \
	     && $(BIN)/python -c "$$find_wn" > $(WORDNET_STAMP).tmp; } \
	&& mv $(WORDNET_STAMP).tmp $(WORDNET_STAMP) && echo "WordNet 3.0: ok ($$(cat $(WORDNET_STAMP)))"

# params.yaml from the defaults (stages/params/) and a preset's changed keys: make params PRESET=imagenette
params: $(VENV)/.installed
	$(BIN)/python -m stages.params write $(if $(PRESET),presets/$(PRESET).yaml)

# Every section of params.yaml and the data folder, before anything runs.
check: $(VENV)/.installed
	$(BIN)/python -m stages.params check

# A dvc.lock cut off by an interrupted write is refused before DVC starts (with the way back);
# a whole one is kept after the run (.dvc/tmp/dvc.lock.good).
repro: setup check
	$(BIN)/python -m colorization fsck --lock-only
	$(BIN)/dvc repro
	$(BIN)/python -m colorization fsck --keep-lock
	@$(BIN)/python -m colorization results

# Every artefact in the workspace and every object in DVC's cache against its hash.
fsck: $(VENV)/.installed
	$(BIN)/python -m colorization fsck

# One worker per core, at most 4, each test file on one worker (its module fixtures made once).
PYTEST_PARALLEL = -n auto --maxprocesses=4 --dist loadfile

test: setup lint
	$(BIN)/python -m pytest -q $(PYTEST_PARALLEL)

# The edit-test loop: everything but the end-to-end runs (pytest -m "not slow").
test-fast: setup
	$(BIN)/python -m pytest -q $(PYTEST_PARALLEL) -m "not slow"

lint: $(VENV)/.installed
	$(BIN)/ruff check .

bench: setup
	$(BIN)/python bench/train_throughput.py

# On a CUDA machine: one JSON of training throughput, memory and a 3-minute run (see bench/gpu_check.py).
gpu-check: setup
	$(BIN)/python bench/gpu_check.py

# The optional pipelines, after `make repro`: Zhang et al.'s Table 1 loss ablation, the seed
# study, the linear probes of Zhang's section 3.3.
# Each one's dvc.yaml is written from its pipeline.yaml on first use (and when that changes), so
# that until then `dvc status` has nothing of it to report.
%/dvc.yaml: %/pipeline.yaml
	cp $< $@

ablation: setup check ablation/dvc.yaml
	$(BIN)/dvc repro ablation/dvc.yaml
	$(BIN)/dvc metrics show reports/ablation.json

seeds: setup check seeds/dvc.yaml
	$(BIN)/dvc repro seeds/dvc.yaml
	@cat reports/seeds.md

probe: setup check probe/dvc.yaml
	$(BIN)/dvc repro probe/dvc.yaml
	@cat reports/probe.md reports/finetune.md

# This run, stage by stage, against the committed reference (reports/reference/verify/), then
# its metrics against the reference's seed spread. verify-env: before any run, whether this
# environment reproduces the reference's computations on the committed inputs.
verify: $(VENV)/.installed
	$(BIN)/python -m colorization verify

verify-env: $(VENV)/.installed
	$(BIN)/python -m colorization verify --environment

# Figures and tables again from the artefacts (after `dvc pull`: no training).
figures: setup
	$(BIN)/dvc repro -f -s figures

# This finished run as the committed reference: its stage signatures and replay inputs
# (reports/reference/verify/, or .../imagenette/verify/ for that preset), and the optional
# pipelines' results (reports/reference/).
reference: $(VENV)/.installed
	$(BIN)/python -m colorization verify --write-reference
	mkdir -p reports/reference
	for f in ablation.md seeds.json seeds.md probe.json probe_ci.json probe.md finetune.json finetune_ci.json \
	         finetune.md; do \
	  [ ! -f reports/$$f ] || cp reports/$$f reports/reference/$$f; done

# The perceptual study on the local network: python -m colorization study serve --help
study-serve: $(VENV)/.installed
	$(BIN)/python -m colorization study serve

clean-venv:
	rm -rf $(VENV)
