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
PIP    := $(BIN)/python -m pip install -q --no-compile --disable-pip-version-check

.PHONY: setup wordnet repro test lint bench gpu-check ablation clean-venv

setup: $(VENV)/.installed wordnet

$(VENV)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) -r requirements.txt
	$(PIP) --no-deps --no-build-isolation -e .
	touch $@

# WordNet 3.0: use what is there; else NLTK's data (internet); else Debian's wordnet-base.
wordnet: $(VENV)/.installed
	@$(BIN)/python -c "from colorization.wordnet import load_wordnet; load_wordnet()" 2>/dev/null \
	|| timeout 120 $(BIN)/python -m nltk.downloader -q wordnet 2>/dev/null \
	&& $(BIN)/python -c "from colorization.wordnet import load_wordnet; load_wordnet()" 2>/dev/null \
	|| { echo "Installing Debian's wordnet-base"; \
	     $$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get install -y -q wordnet-base; } \
	&& $(BIN)/python -c "from colorization.wordnet import load_wordnet; load_wordnet(); print('WordNet 3.0: ok')"

repro: setup
	$(BIN)/dvc repro
	$(BIN)/dvc metrics show

test: setup
	$(BIN)/python -m pytest -q

lint: setup
	$(BIN)/ruff check .

bench: setup
	$(BIN)/python bench/train_throughput.py

# On a CUDA machine: one JSON of training throughput, memory and a 3-minute run (see bench/gpu_check.py).
gpu-check: setup
	$(BIN)/python bench/gpu_check.py

# Zhang et al.'s Table 1 loss ablation (L2, class, full) on the current data: reports/ablation.md.
ablation: setup
	$(BIN)/dvc repro ablation/dvc.yaml
	$(BIN)/dvc metrics show reports/ablation.json

clean-venv:
	rm -rf $(VENV)
