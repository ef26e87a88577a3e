import os
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
FRUITS = Path(os.environ.get("FRUITS360_MINI", ROOT.parent / "shared" / "datasets" / "fruits360-mini"))

torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))


@pytest.fixture(scope="session")
def fruits360():
    if not (FRUITS / "train").is_dir():
        pytest.skip(f"fruits360-mini not found at {FRUITS}")
    return FRUITS


@pytest.fixture(scope="session")
def wordnet():
    from colorization.wordnet import load_wordnet

    try:
        return load_wordnet()
    except RuntimeError as e:
        pytest.skip(str(e))


needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
