from pathlib import Path

import pytest
import yaml

from stages.common import validate

PRESETS = Path(__file__).resolve().parents[1] / "presets"


@pytest.mark.parametrize("path", sorted(PRESETS.glob("*.yaml")), ids=lambda p: p.name)
def test_presets_are_valid_params(path):
    params = yaml.safe_load(path.read_text())
    if params["data"]["root"] == "none" and params["data"]["source"] != "synthetic":
        params["data"]["root"] = "/data/ILSVRC2012"  # the paper preset is completed on the command line
    validate(params)
    defaults = yaml.safe_load((PRESETS.parent / "params.yaml").read_text())
    assert {s: set(v) for s, v in params.items()} == {s: set(v) for s, v in defaults.items()}


def test_paper_preset_has_the_papers_settings():
    p = yaml.safe_load((PRESETS / "paper.yaml").read_text())
    assert p["data"]["source"] == "imagenet" and p["data"]["size"] == 256
    assert p["synsets"] == {"seeds": ["fruit.n.01", "vegetable.n.01"], "count": 33}
    t = p["train"]
    assert (t["crop"], t["batch_size"], t["iterations"], t["lr"]) == (176, 40, 150000, 3.16e-5)
    assert (t["betas"], t["weight_decay"], t["flip"], t["soft_k"]) == ([0.9, 0.99], 1e-3, 0.5, 5)
    assert (t["loss"], t["lr_schedule"], t["lr_warmup"]) == ("classification", "constant", 0)
    assert p["model"]["width"] == 1.0 and p["prior"]["lam"] == 0.5 and p["colorize"]["T"] == 0.38
    c = p["colorize"]
    assert (p["evaluate"]["classifier"], c["eval_synsets"], c["max_images"]) == ("imagenet", 20, 1000)
    assert p["study"] == {"n_images": 50, "display_ms": 1000, "seed": 0}
