"""Stage signatures: what each stage of the main pipeline computed, in a few numbers a reader
can compare with the reference run's (``colorization.stagewalk`` compares them).

Two kinds. *Output* signatures summarise a stage's artefacts: the synset list, per-image
statistics of the resized and colourized images, the prior and its weights, the classifier's
predictions, per-image metric values. *Replays* re-run a stage's computation on fixed inputs
that the reference commits (``reference.pt``): a few training steps of the colourizer from its
committed initial weights, a few of the classifier, the committed colourizer decoding a
committed val batch, the colour conversions of that batch. A replay isolates a stage's code
and environment from everything upstream; the same replays run before any pipeline output
exists (``verify --environment``).
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from .stagewalk import as_stages_read

REPLAY_STEPS = 4  # colourizer steps replayed from the committed initial weights
UPDATE_SAMPLE = 2048  # coordinates of Adam's moments that are compared
CLASSIFIER_STEPS = 3
VAL_BATCH = 16  # val images decoded by the committed colourizer
LAB_IMAGES = 4  # of them, whose Lab values are committed
PATHS = {"synsets": "data/synsets.csv", "resized": "data/resized", "prior": "data/prior.csv",
         "colorizer": "models/colorizer.pt", "classifier": "models/classifier.pt", "colorized": "data/colorized",
         "per_image": "reports/per_image.csv", "metrics": "reports/metrics.json", "study": "reports/study/trials.js",
         "study_results": "reports/study/results.json", "loss": "dvclive/plots/metrics/train/loss.tsv"}


def image_stats(images: np.ndarray, batch: int = 512) -> np.ndarray:
    """Per image (N, 6): the mean and standard deviation of R, G and B (uint8 levels)."""
    out = []
    for i in range(0, len(images), batch):
        x = np.asarray(images[i : i + batch], dtype=np.float64).reshape(len(images[i : i + batch]), -1, 3)
        out.append(np.concatenate([x.mean(1), x.std(1)], 1))
    return np.concatenate(out) if out else np.zeros((0, 6))


def _round(a, digits=5):
    return np.round(np.asarray(a, dtype=np.float64), digits).tolist()


# ---------------------------------------------------------------- replays (need only torch and the committed inputs)

def colorizer_init(cfg, width, device="cpu"):
    """The colourizer exactly as the train stage builds it before its first step."""
    from .training import build_model

    torch.manual_seed(cfg["seed"])
    model, _ = build_model({**cfg, "compile": False}, width, torch.device(device), 1)
    return model


def replay_training(init_state, batches, weights, cfg, width, device="cpu") -> dict:
    """The first steps of training from ``init_state`` on ``batches`` (K, B, 3, c, c) uint8,
    with the train stage's own step, optimizer and learning rate: each step's loss, and the
    optimizer's moments after the first step at UPDATE_SAMPLE evenly spaced coordinates (the
    loss alone hardly moves in a few steps when only the optimizer differs)."""
    from .bins import ab_bins
    from .training import lr_at, make_optimizer, set_lr, train_step

    device = torch.device(device)
    model = colorizer_init(cfg, width, device)
    model.load_state_dict(init_state)
    model.train()
    opt = make_optimizer([p for p in model.parameters() if p.requires_grad], cfg, device)
    bins = torch.from_numpy(ab_bins()).to(device)
    w = torch.tensor(np.asarray(weights), dtype=torch.float32, device=device)
    params = [p for p in model.parameters() if p.requires_grad]
    at = np.linspace(0, sum(p.numel() for p in params) - 1, UPDATE_SAMPLE).astype(np.int64)

    def sample(key):
        return torch.cat([opt.state[p][key].detach().flatten() for p in params])[at].cpu().double().numpy().tolist()

    losses, moments = [], {}
    for it, batch in enumerate(batches):
        set_lr(opt, lr_at(it, cfg))
        losses.append(float(train_step(model, opt, torch.as_tensor(batch), bins, w, cfg, device)))
        if it == 0:
            # Adam's moments after the first step (betas, weight decay, the gradient), not
            # later: pixels whose ab lies halfway between bins tie in the soft-encoding's top-k,
            # which rounding breaks either way, so even the first gradient differs by ~6 % (L2)
            # between honest reruns, and Adam turns that into other weights from step 2 on
            moments = {"exp_avg": sample("exp_avg"), "exp_avg_sq": sample("exp_avg_sq")}
    return {"losses": losses, **moments}


def loader_batches(train_npy, cfg, steps=REPLAY_STEPS) -> np.ndarray:
    """The first ``steps`` batches the train stage's loader yields from the train split."""
    from .data import training_loader

    images = np.load(train_npy, mmap_mode="r")
    loader = training_loader(images, cfg["batch_size"], 0, steps, cfg["seed"], cfg["crop"], cfg["flip"], 0, False)
    return np.stack([b.numpy() for b in loader])


def replay_classifier(images, labels, n_classes, cfg, steps=CLASSIFIER_STEPS) -> list:
    """Losses of the classifier stage's first steps (its own loop, cut to ``steps``)."""
    from .classifier import train_classifier

    losses = []
    train_classifier(images, labels, n_classes, {**cfg, "iterations": steps}, torch.device("cpu"),
                     lambda it, loss: losses.append(float(loss.detach())))
    return losses


def decode(model_state, val_batch, T) -> np.ndarray:
    """The colorize stage's loading and decoding of uint8 val images by a saved colourizer."""
    import tempfile

    from .inference import colorize_uint8, load_colorizer

    with tempfile.TemporaryDirectory() as tmp:
        torch.save(model_state, Path(tmp) / "colorizer.pt")
        model = load_colorizer(Path(tmp) / "colorizer.pt")
    return colorize_uint8(model, np.asarray(val_batch), T)


def lab_of(images) -> np.ndarray:
    from .lab import uint8_to_lab

    return uint8_to_lab(np.asarray(images)).numpy()


def round_trip(lab) -> np.ndarray:
    from .lab import lab_to_uint8

    return lab_to_uint8(torch.as_tensor(lab))


def environment_replays(ref: dict, params: dict) -> dict:
    """The replays that need no pipeline output: on the committed inputs of ``ref`` (reference.pt)."""
    params = as_stages_read(params)
    t, m = params["train"], params["model"]
    return {
        "init": state_checksum(colorizer_init(t, m["width"]).state_dict()),
        "replay": replay_training(ref["init"], ref["train_batches"], ref["weights"], t, m["width"]),
        "lab": lab_of(ref["val_batch"][:LAB_IMAGES]),
        "round_trip": round_trip(torch.as_tensor(ref["lab"])),
        "decoded": decode(ref["colorizer"], ref["val_batch"], params["colorize"]["T"]),
    }


def state_checksum(state) -> list:
    """Per tensor, the sum and the sum of squares in float64: equal for equal weights."""
    return [[float(t.double().sum()), float((t.double() ** 2).sum())] for t in state.values()]


def half(state: dict) -> dict:
    """Floating tensors in float16: the committed weights at half the size. The replays load
    them back into float32 networks, in the reference's run and in every later one alike."""
    return {k: v.half() if torch.is_tensor(v) and v.is_floating_point() else v for k, v in state.items()}


# ---------------------------------------------------------------- output signatures of a finished run

def output_signatures(ws, params: dict, ref: dict | None = None) -> dict:
    """Every stage's signature from the artefacts in workspace ``ws`` (a finished run). With the
    reference's committed inputs ``ref``, the train replay starts from its initial weights, and
    ``train.decoded_by_run`` is this run's colourizer decoding the committed val batch; it and
    ``train.batches`` (the loader's first batches) are arrays, kept in reference.pt, not in the
    JSON."""
    params = as_stages_read(params)
    ws = Path(ws)
    p = {k: ws / v for k, v in PATHS.items()}
    sig = {}
    sig["synsets"] = {"wnids": pd.read_csv(p["synsets"])["wnid"].tolist()}
    manifest = pd.read_csv(p["resized"] / "manifest.csv")
    sig["resize"] = {"labels": {s: manifest.query("split == @s").sort_values("index")["label"].tolist()
                                for s in ("train", "val")},
                     "stats": {s: _round(image_stats(np.load(p["resized"] / f"{s}.npy", mmap_mode="r")), 3)
                               for s in ("train", "val")}}
    prior = pd.read_csv(p["prior"])
    sig["prior"] = {"p": _round(prior["p"], 9), "weight": _round(prior["weight"], 7)}
    cfg, width = params["train"], params["model"]["width"]
    batches = loader_batches(p["resized"] / "train.npy", cfg)
    sig["train"] = {"replay": replay_training(ref["init"] if ref else colorizer_init(cfg, width).state_dict(),
                                              batches, prior["weight"].to_numpy(), cfg, width),
                    "loss_curve": _loss_curve(p["loss"]), "batches": batches}
    colorizer = torch.load(p["colorizer"], map_location="cpu", weights_only=True)
    if ref:
        sig["train"]["decoded_by_run"] = decode(colorizer, ref["val_batch"], params["colorize"]["T"])
    sig["classifier"] = _classifier(ws, p, params)
    col = p["colorized"]
    images = pd.read_csv(col / "images.csv")
    sig["colorize"] = {"val_index": images["val_index"].tolist(), "random_donor": images["random_donor"].tolist(),
                       **{v: _round(image_stats(np.load(col / f"{v}.npy")), 3) for v in ("gt", "grey", "random",
                                                                                         "ours")}}
    per_image = pd.read_csv(p["per_image"])
    metrics = json.loads(p["metrics"].read_text())
    sig["evaluate"] = {"per_image": {c: _round(per_image[c], 5) for c in per_image.columns
                                     if c.startswith(("auc_", "top5_"))},
                       "metrics": {v: {k: x for k, x in m.items() if isinstance(x, (int, float))}
                                   for v, m in metrics.items()}}
    sig["study"] = _study(p["study"])
    sig["study_analysis"] = {k: v for k, v in json.loads(p["study_results"].read_text()).items()
                             if k in ("n_responses", "excluded", "skipped_files", "partial_files")}
    sig["figures"] = _figures(ws)
    return sig


def _loss_curve(tsv) -> list:
    frame = pd.read_csv(tsv, sep="\t")
    return [[int(s), round(float(v), 6)] for s, v in zip(frame["step"], frame["loss"])]


def _classifier(ws, p, params) -> dict:
    from .classifier import class_scores, load_trained_classifier

    state = torch.load(p["classifier"], map_location="cpu", weights_only=True)
    if state.get("kind") != "trained":
        return {"kind": state.get("kind")}
    manifest = pd.read_csv(p["resized"] / "manifest.csv")
    train = manifest.query("split == 'train'").sort_values("index")
    images = np.load(p["resized"] / "train.npy", mmap_mode="r")
    gt = np.load(p["colorized"] / "gt.npy")
    model = load_trained_classifier(p["classifier"])
    return {"kind": "trained", "train_accuracy": round(float(state["train_accuracy"]), 5),
            "predictions": class_scores(model, gt, "cpu").argmax(1).tolist(),
            "replay": replay_classifier(images, train["label"].to_numpy(), len(pd.read_csv(p["synsets"])),
                                        params["classifier"])}


def _study(trials_js) -> dict:
    from .study import read_trials_js

    data = read_trials_js(trials_js)
    return {"trials": {kind: len(rows) for kind, rows in data["trials"].items()},
            "display_ms": data.get("displayMs"), "methods": data.get("methods")}


FIGURES = ("fig1_temperature", "fig2_examples", "fig4_per_synset", "fig5_confusion_scatter",
           "fig6_amplified_confusion", "prior", "auc_curves", "learning_curve", "synsets", "fig3_study")


def _figures(ws) -> dict:
    """Each figure's pixel size, and whether Table 2 states this run's own numbers."""
    from PIL import Image

    sizes = {}
    for name in FIGURES:
        with Image.open(Path(ws) / "reports" / "figures" / f"{name}.png") as im:
            sizes[name] = list(im.size)
    metrics = json.loads((Path(ws) / PATHS["metrics"]).read_text())
    table = (Path(ws) / "reports" / "table2.md").read_text()
    cited = all(f"{100 * metrics[v][k]:.1f}" in table for v in ("gt", "grey", "ours") for k in ("top1", "auc_rebal"))
    return {"sizes": sizes, "table2_states_the_metrics": cited}


# ---------------------------------------------------------------- the reference's seed spread for the loose checks

def seed_spread(ws, params, ref, main) -> dict:
    """For each check on what a whole training produced, the largest difference between the
    reference's main run and another training seed of it (``make seeds``: models/seeds/), in
    that check's own measure; {} when no other seed's model is there. Another instruction set
    makes training part ways slowly, from rounding, where another seed differs from the first
    step: so the seed spread bounds what an honest rerun can show."""
    params = as_stages_read(params)
    from .classifier import load_scorer
    from .evaluation import TOP_K, gt_bin_counts, image_hits, image_pieces, per_image_auc
    from .inference import colorize_set, load_colorizer
    from .metrics import topk_classes

    ws = Path(ws)
    others = [f for f in sorted((ws / "models" / "seeds").glob("seed_*"))
              if f.name != f"seed_{params['train']['seed']}" and (f / "model.pt").is_file()]
    if not others:
        return {}
    col = ws / PATHS["colorized"]
    gt, T = np.load(col / "gt.npy"), params["colorize"]["T"]
    labels = pd.read_csv(col / "images.csv")["label"].to_numpy()
    prior, eq = pd.read_csv(ws / PATHS["prior"])["p"].to_numpy(), gt_bin_counts(gt)
    per_image = pd.read_csv(ws / PATHS["per_image"])
    scores_of, column, _ = load_scorer("trained", pd.read_csv(ws / PATHS["synsets"]).wnid, labels, "cpu",
                                       trained=ws / PATHS["classifier"])
    spread = {k: [] for k in ("final_loss", "decoded_by_run", "ours_stats", "per_image_auc_ours", "agreement")}
    for folder in others:
        state = torch.load(folder / "model.pt", map_location="cpu", weights_only=True)
        loss = _loss_curve(folder / "log" / "plots" / "metrics" / "train" / "loss.tsv")[-1][1]
        spread["final_loss"].append(abs(loss - main["train"]["loss_curve"][-1][1]) / main["train"]["loss_curve"][-1][1])
        spread["decoded_by_run"].append(float(np.abs(decode(state, ref["val_batch"], T).astype(float)
                                                     - main["train"]["decoded_by_run"]).mean()))
        ours = colorize_set(load_colorizer(folder / "model.pt"), gt, T, "cpu")
        spread["ours_stats"].append(float(np.abs(image_stats(ours) - np.asarray(main["colorize"]["ours"])).mean()))
        pieces = image_pieces(ours, gt, prior, eq)
        spread["per_image_auc_ours"].append(max(float(np.nanmean(np.abs(per_image_auc(*pieces[k])
                                                                         - per_image[f"{k}_ours"])))
                                                for k in ("auc", "auc_rebal")))
        hits = image_hits(topk_classes(scores_of(ours), TOP_K), column, column >= 0)["top5"]
        spread["agreement"].append(float((hits == per_image["top5_ours"].to_numpy()).mean()))
    return {k: (min(v) if k == "agreement" else max(v)) for k, v in spread.items()} | {"n_seeds": len(others) + 1}
