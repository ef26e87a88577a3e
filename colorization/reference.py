"""The committed reference a run is verified against (`reports/reference/verify/` for the
default data, `reports/reference/imagenette/verify/` for the imagenette preset):

- ``signatures.json``: the reference run's params, environment, every stage's signature
  (``colorization.signatures``), the replays' results, its metrics and their intervals;
- ``reference.pt``: the committed inputs of the replays: the colourizer's initial weights, the
  first training batches and rebalancing weights, a val batch, its Lab values and their
  conversion back, the trained colourizer and its decoding of the batch.

`make reference` writes both from a finished run (``write_reference``).
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import yaml

from . import signatures as S
from .atomic import atomic_path, save_torch

REFERENCE = Path("reports/reference")


def reference_dir(params: dict) -> Path:
    """The reference of this run's data source: the imagenette preset's or the default data's."""
    return REFERENCE / ("imagenette" if "imagenette" in str(params["data"].get("root", "")) else "") / "verify"


def load_reference(folder) -> tuple:
    folder = Path(folder)
    sig = json.loads((folder / "signatures.json").read_text())
    return sig, torch.load(folder / "reference.pt", map_location="cpu", weights_only=True)


def artefacts() -> list:
    """The pipeline outputs the stage walk reads (their bytes are checked against dvc.lock)."""
    return [S.PATHS[k] for k in ("synsets", "resized", "prior", "colorizer", "classifier", "colorized", "per_image",
                                 "metrics")]


def _expected_replays(ref) -> dict:
    return {"lab": ref["lab"].numpy(), "round_trip": ref["round_trip"].numpy(), "decoded": ref["decoded"].numpy()}


def environment_walk(ref_sig, ref, params) -> list:
    """The replays on the committed inputs, by this environment's code, against the reference's."""
    from .stagewalk import environment_checks

    run = S.environment_replays(ref, params)
    return environment_checks(run, {**_expected_replays(ref), **ref_sig["replays"]})


def stage_walk(ref_sig, ref, params) -> list:
    """The finished run in this workspace against the reference, stage by stage."""
    from .stagewalk import stage_checks

    expected = json.loads(json.dumps(ref_sig["stages"]))
    expected["train"]["decoded_by_run"] = ref["decoded_by_run"].numpy()
    expected["train"]["batches"] = ref["train_batches"].numpy()
    return stage_checks(S.output_signatures(".", params, ref), expected, ref_sig.get("seed_spread") or {})


def write_reference(folder=None, params_path="params.yaml") -> Path:
    """The reference of the finished run in this workspace, in ``folder`` (default: where
    verify looks for this data source's)."""
    from .provenance import environment

    params = yaml.safe_load(Path(params_path).read_text())
    folder = Path(folder) if folder else reference_dir(params)
    t, m = params["train"], params["model"]
    resized = Path(S.PATHS["resized"])
    val = np.load(resized / "val.npy", mmap_mode="r")
    init = S.colorizer_init(t, m["width"]).state_dict()
    colorizer = torch.load(S.PATHS["colorizer"], map_location="cpu", weights_only=True)
    ref = {"init": S.half(init), "colorizer": {**colorizer, "model": S.half(colorizer["model"])},
           "train_batches": torch.from_numpy(S.loader_batches(resized / "train.npy", t)),
           "weights": torch.from_numpy(pd.read_csv(S.PATHS["prior"])["weight"].to_numpy().copy()),
           "val_batch": torch.from_numpy(np.array(val[: S.VAL_BATCH]))}
    ref["lab"] = torch.from_numpy(S.lab_of(ref["val_batch"][: S.LAB_IMAGES]))
    env = S.environment_replays(ref, params)
    ref["round_trip"] = torch.from_numpy(np.asarray(env["round_trip"]))
    ref["decoded"] = torch.from_numpy(np.asarray(env["decoded"]))
    env_file = Path("reports/environment.json")
    sig = {"params": params,
           "environment": json.loads(env_file.read_text()) if env_file.is_file() else environment(),
           "replays": {"replay": env["replay"], "init": S.state_checksum(init)},
           "stages": S.output_signatures(".", params, ref),
           "metrics": json.loads(Path("reports/metrics.json").read_text()),
           "metrics_ci": json.loads(Path("reports/metrics_ci.json").read_text())}
    sig["seed_spread"] = S.seed_spread(".", params, ref, sig["stages"])
    ref["decoded_by_run"] = torch.from_numpy(sig["stages"]["train"].pop("decoded_by_run"))
    sig["stages"]["train"].pop("batches")  # the same as ref["train_batches"]
    folder.mkdir(parents=True, exist_ok=True)
    save_torch(ref, folder / "reference.pt")
    with atomic_path(folder / "signatures.json") as tmp:
        tmp.write_text(json.dumps(sig, default=_plain, separators=(",", ":")) + "\n")
    return folder


def _plain(x):
    return x.tolist() if isinstance(x, np.ndarray) else float(x) if isinstance(x, np.floating) else int(x)
