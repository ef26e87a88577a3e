from pathlib import Path

import pytest
import yaml

from stages.params.__main__ import check_all, defaults, merged, render

PRESETS = Path(__file__).resolve().parents[1] / "presets"


@pytest.mark.parametrize("path", sorted(PRESETS.glob("*.yaml")), ids=lambda p: p.name)
def test_presets_are_overlays_that_make_valid_params(path, tmp_path):
    preset = yaml.safe_load(path.read_text())
    params = merged(preset)
    for section, keys in preset.items():  # a preset holds only the keys it changes
        for key, value in keys.items():
            assert value != defaults()[section][key], f"{path.name}: {section}.{key} repeats the default"
    if params["data"]["source"] != "synthetic":
        (tmp_path / "train").mkdir()  # the data folder is the user's to fetch; the rest must pass
        params["data"]["root"] = str(tmp_path)
    check_all(params)
    assert yaml.safe_load(render(params, str(path))) == params  # what `make params` writes reads back the same


def test_params_yaml_is_the_defaults_as_written():
    root = PRESETS.parent
    assert yaml.safe_load((root / "params.yaml").read_text()) == defaults()
    assert (root / "params.yaml").read_text() == render(defaults())


def test_paper_preset_has_the_papers_settings():
    p = merged(yaml.safe_load((PRESETS / "paper.yaml").read_text()))
    assert p["data"]["source"] == "imagenet" and p["data"]["size"] == 256
    assert p["synsets"] == {"seeds": ["fruit.n.01", "vegetable.n.01"], "count": 33}
    t = p["train"]
    assert (t["crop"], t["batch_size"], t["iterations"], t["lr"]) == (176, 40, 150000, 3.16e-5)
    assert (t["betas"], t["weight_decay"], t["flip"], t["soft_k"]) == ([0.9, 0.99], 1e-3, 0.5, 5)
    assert (t["loss"], t["lr_schedule"], t["lr_warmup"]) == ("classification", "constant", 0)
    assert p["model"]["width"] == 1.0 and p["prior"]["lam"] == 0.5 and p["colorize"]["T"] == 0.38
    c = p["colorize"]
    assert (p["evaluate"]["classifier"], c["eval_synsets"], c["max_images"]) == ("imagenet", 20, 1000)
    assert (p["study"]["n_images"], p["study"]["display_ms"]) == (50, 1000)


def test_a_preset_with_an_unknown_key_is_refused_by_name():
    from stages.common import ParamsError

    with pytest.raises(ParamsError, match="unknown key 'train.learning_rate'"):
        merged({"train": {"learning_rate": 0.1}})
