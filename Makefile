# The README's two commands: `make repro` and `make test`. Both build the same venv.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: setup wordnet repro test bench clean-venv

setup: $(VENV)/.installed wordnet

$(VENV)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.txt
	$(BIN)/python -m pip install -q --no-deps --no-build-isolation -e .
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

bench: setup
	$(BIN)/python bench/train_throughput.py

clean-venv:
	rm -rf $(VENV)
