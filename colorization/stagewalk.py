"""The stage walk of `make verify`: each stage's signature (``colorization.signatures``) against
the reference's, in pipeline order, as ``same`` / ``within tolerance`` / ``DIVERGES`` with the
measured difference and the tolerance.

Tolerances admit what honestly varies between machines that run the same code on the same
params: another instruction set (AVX2 against AVX-512 rounds float32 sums differently),
another thread count, another kernel choice of PyTorch. Where a check replays a computation on
committed inputs, such rounding is all that can differ, and the tolerance is a small multiple
of what those honest reruns gave (tests/test_stagewalk.py reruns them). Where a check reads
what a whole training produced, rounding grows over hundreds of steps into other weights, and
the tolerance is that of another training seed; the replays beside it are what stay tight.
"""

import math
from dataclasses import dataclass

import numpy as np

WALK = ("params", "colour conversion", "synsets", "resize", "prior", "train", "classifier", "colorize", "evaluate",
        "study", "study_analysis", "figures")
# Which params sections each stage reads (dvc.yaml): a changed key is a divergence of the first.
READS = {"synsets": ("data", "synsets"), "prior": ("prior",), "train": ("model", "train"),
         "classifier": ("classifier",), "colorize": ("colorize",), "evaluate": ("evaluate",), "study": ("study",)}
NOT_RESULTS = {"train": ("workers", "checkpoint_every", "log_every", "preview_every", "compile"),
               "runtime": ("device",)}

# name: (tolerance, why). Levels are uint8 (0-255); "rel" is relative to the reference value.
TOLERANCES = {
    "lab": (2e-3, "Lab of 4 committed images, max |difference|: float32 rounding of the cube root and matrices"),
    "round_trip": (1, "Lab -> uint8 of the same, max |levels|: a value at .5 may round either way"),
    "stats": (0.05, "per-image mean and std of R, G, B (levels): a few pixels rounding the other way"),
    "prior_p": (2e-5, "smoothed prior, max |difference|: about ten ab samples changing bin"),
    "prior_weight": (1e-3, "rebalancing weights, max relative difference"),
    "init": (1e-9, "per-tensor sums of the initial weights from the seed, relative: the CPU generator is exact"),
    "batches": (1e-3, "share of bytes of the loader's first batches that differ: a few pixels rounding the other "
                      "way upstream"),
    "replay": (2e-3, "losses of the replayed steps, max relative difference (honest reruns: <= 4e-5)"),
    "moments": (0.25, "Adam's moments after the first replayed step, relative L2 distance: top-k ties in the "
                      "soft-encoding break either way (honest reruns: up to 0.06)"),
    "first_loss": (5e-3, "mean loss over the first logged interval, relative (honest reruns: <= 5e-4)"),
    # The five below are fallbacks for a reference without a seed study (signatures.seed_spread
    # sets them otherwise): 1.5 x the default data's measured seed spread.
    "final_loss": (0.07, "mean loss over the last logged interval, relative"),
    "decoded_by_run": (25.0, "the run's colourizer on the committed batch against the reference's, mean |levels|"),
    "decoded": (0.05, "the committed colourizer on the committed batch, mean |levels| (max 2)"),
    "agreement": (0.85, "share of val images whose top-5 hit of gt, grey or random agrees with the reference's "
                        "(at least)"),
    "classifier_agreement": (1.2, "the classifier's top-1 class of each val image: the share that may differ from "
                                  "the reference's, per unit of the reference's error share on gt (at most)"),
    "agreement_ours": (0.55, "share of val images whose top-5 hit of ours agrees with the reference's (at least)"),
    "train_accuracy": (0.05, "classifier's accuracy on its last 50 batches, |difference|"),
    "ours_stats": (9.4, "per-image mean and std of our colourizations, mean |levels|"),
    "per_image_auc": (2e-3, "per-image AuC of variants that do not depend on training, max |difference|"),
    "per_image_auc_ours": (0.1, "per-image AuC of ours, mean |difference|"),
    "metric": (1e-3, "metrics of gt, grey and random that do not depend on the classifier, relative (absolute "
                     "below 1: grey's colourfulness is 0.08, and float32 sums round it differently)"),
}


@dataclass
class Check:
    stage: str
    name: str
    verdict: str  # same | within tolerance | DIVERGES | missing
    measured: str = ""
    tolerance: str = ""


def _num(x) -> str:
    return "0" if x == 0 else (f"{x:.3g}" if abs(x) < 1e-2 or abs(x) >= 1e3 else f"{x:.4f}".rstrip("0"))


def numeric(stage, name, run, ref, kind, how="max_abs", tol=None) -> Check:
    """Compare arrays: ``how`` is max_abs, mean_abs or max_rel; ``kind`` names the tolerance
    (``tol``, where given, replaces it)."""
    tol = TOLERANCES[kind][0] if tol is None else tol
    a, b = np.asarray(run, dtype=np.float64), np.asarray(ref, dtype=np.float64)
    if a.shape != b.shape:
        return Check(stage, name, "DIVERGES", f"shape {a.shape} vs {b.shape}", "same shape")
    if a.size == 0 or np.array_equal(a, b):
        return Check(stage, name, "same", "0", _num(tol))
    d = np.abs(a - b)
    if how in ("max_rel", "max_rel1"):  # max_rel1: relative above 1, absolute below (values near 0)
        d = d / np.maximum(np.abs(b), 1.0 if how == "max_rel1" else 1e-12)
    value = float(d.max() if how != "mean_abs" else d.mean())
    if not math.isfinite(value):
        return Check(stage, name, "DIVERGES", "not finite", _num(tol))
    return Check(stage, name, "within tolerance" if value <= tol else "DIVERGES", _num(value), _num(tol))


def exact(stage, name, run, ref) -> Check:
    if run == ref:
        return Check(stage, name, "same", "", "identical")
    return Check(stage, name, "DIVERGES", _first_difference(run, ref), "identical")


def _first_difference(run, ref) -> str:
    if isinstance(run, list) and isinstance(ref, list):
        if len(run) != len(ref):
            return f"{len(run)} entries vs {len(ref)}"
        i = next(i for i, (a, b) in enumerate(zip(run, ref)) if a != b)
        return f"entry {i}: {str(run[i])[:30]} vs {str(ref[i])[:30]}"
    return f"{str(run)[:40]} vs {str(ref)[:40]}"


def agreement(stage, name, run, ref, tol=None) -> Check:
    tol = TOLERANCES["agreement"][0] if tol is None else tol
    a, b = np.asarray(run, dtype=np.float64), np.asarray(ref, dtype=np.float64)
    if a.shape != b.shape:
        return Check(stage, name, "DIVERGES", f"{a.size} vs {b.size} images", f">= {tol}")
    both = ~(np.isnan(a) | np.isnan(b))
    share = float((a[both] == b[both]).mean()) if both.any() else 1.0
    verdict = "same" if share == 1.0 else ("within tolerance" if share >= tol else "DIVERGES")
    return Check(stage, name, verdict, f"{share:.3f} agree", f">= {tol}")


def unset_as_none(value):
    """params.yaml spells "not set" `none` (references made before that spelled numbers null)."""
    return None if value == "none" else value


def as_stages_read(params: dict) -> dict:
    """params.yaml as the stages read it (``stages.common.load_params``): `none` is None. The
    replays hand each section to the library code the way its stage does."""
    return {s: {k: unset_as_none(v) for k, v in sec.items()} if isinstance(sec, dict) else sec
            for s, sec in params.items()}


def params_checks(run_params, ref_params) -> list:
    """A changed key that decides results is a divergence of the first stage that reads it."""
    out = []
    for stage, sections in READS.items():
        changed = []
        for s in sections:
            a, b = run_params.get(s, {}), ref_params.get(s, {})
            for k in sorted(set(a) | set(b)):
                if k not in NOT_RESULTS.get(s, ()) and unset_as_none(a.get(k)) != unset_as_none(b.get(k)):
                    changed.append(f"{s}.{k} {b.get(k)!r} -> {a.get(k)!r}")
        out.append(Check("params", stage, "DIVERGES" if changed else "same", "; ".join(changed)[:120], "identical"))
    return out


def environment_checks(run_env, ref_env) -> list:
    """The replays on committed inputs (signatures.environment_replays)."""
    return [
        numeric("colour conversion", "sRGB -> Lab", run_env["lab"], ref_env["lab"], "lab"),
        numeric("colour conversion", "Lab -> sRGB uint8", run_env["round_trip"], ref_env["round_trip"], "round_trip"),
        numeric("train", "initial weights from the seed (checksums)", run_env["init"], ref_env["init"], "init",
                "max_rel"),
        *replay_checks("from the committed weights on the committed batches", run_env["replay"],
                       ref_env["replay"]),
        _decoded(run_env["decoded"], ref_env["decoded"]),
    ]


def replay_checks(where, run, ref) -> list:
    """The losses of replayed steps, and the weight change they made (relative L2 distance)."""
    n = len(ref["losses"])
    out = [numeric("train", f"{n} steps' losses, {where}", run["losses"], ref["losses"], "replay", "max_rel")]
    for key, what in (("exp_avg", "first moment"), ("exp_avg_sq", "second moment")):
        a, b = np.asarray(run[key], float), np.asarray(ref[key], float)
        distance = [float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-30))] if a.shape == b.shape else [np.inf]
        out.append(numeric("train", f"Adam's {what} after step 1, {where}", distance, [0.0], "moments"))
    return out


def _decoded(run, ref) -> Check:
    c = numeric("colorize", "committed colourizer decodes the committed batch", run, ref, "decoded", "mean_abs")
    if c.verdict != "DIVERGES" and np.abs(np.asarray(run, float) - np.asarray(ref, float)).max() > 2:
        c.verdict, c.measured = "DIVERGES", c.measured + " (a pixel off by > 2)"
    return c


SEED_MARGIN = 1.5  # the largest of 4 other seeds' differences, widened: a sample's maximum underestimates


def seed_tolerance(spread: dict, kind: str):
    """The tolerance of a check on what a whole training produced: the reference's seed spread
    (signatures.seed_spread) widened by SEED_MARGIN, or the constant where no seed study ran."""
    if kind not in spread:
        return TOLERANCES["agreement_ours" if kind == "agreement" else kind][0]
    if kind == "agreement":
        return round(1.0 - SEED_MARGIN * (1.0 - spread[kind]), 3)
    return float(f"{SEED_MARGIN * spread[kind]:.3g}")


def classifier_agreement(ref_gt_top1: float) -> float:
    """The least share of val images on which an honest rerun's classifier names the reference's
    class. Two classifiers can disagree only where one of them is wrong: at most on twice the
    reference's error share when both are equally accurate. Honest reruns used 34-40 % of that
    bound (AVX2 on the default data: 0.947 agree at 6.7 % error; imagenette after a change of
    rounding only: 0.795 at 30 %), so an honest rerun may differ on 1.5 x 40 % of it, 1.2 x the
    error share: 0.92 for the default data, 0.64 for imagenette."""
    return round(1.0 - TOLERANCES["classifier_agreement"][0] * (1.0 - ref_gt_top1), 3)


def stage_checks(run, ref, spread=None) -> list:
    """Output signatures of a finished run against the reference's (signatures.output_signatures);
    ``spread``: the reference's seed spread, which sets the loose checks' tolerances."""
    spread = spread or {}
    c = [exact("synsets", "synset list", run["synsets"]["wnids"], ref["synsets"]["wnids"])]
    for split in ("train", "val"):
        c.append(exact("resize", f"{split} labels and order", run["resize"]["labels"][split],
                       ref["resize"]["labels"][split]))
        c.append(numeric("resize", f"{split} per-image statistics", run["resize"]["stats"][split],
                         ref["resize"]["stats"][split], "stats"))
    c.append(numeric("prior", "prior p", run["prior"]["p"], ref["prior"]["p"], "prior_p"))
    c.append(numeric("prior", "rebalancing weights", run["prior"]["weight"], ref["prior"]["weight"], "prior_weight",
                     "max_rel"))
    t, rt = run["train"], ref["train"]
    if "batches" in t and "batches" in rt:
        c.append(_batches(t["batches"], rt["batches"]))
    c += replay_checks("on this run's loader and prior", t["replay"], rt["replay"])
    c.append(numeric("train", "first logged loss", t["loss_curve"][0][1:], rt["loss_curve"][0][1:], "first_loss",
                     "max_rel"))
    c.append(numeric("train", "final logged loss", t["loss_curve"][-1][1:], rt["loss_curve"][-1][1:], "final_loss",
                     "max_rel", seed_tolerance(spread, "final_loss")))
    if "decoded_by_run" in t and "decoded_by_run" in rt:
        c.append(numeric("train", "trained colourizer on the committed batch", t["decoded_by_run"],
                         rt["decoded_by_run"], "decoded_by_run", "mean_abs", seed_tolerance(spread, "decoded_by_run")))
    k, rk = run["classifier"], ref["classifier"]
    if k.get("kind") != "trained" or rk.get("kind") != "trained":
        c.append(exact("classifier", "kind", k.get("kind"), rk.get("kind")))
    else:
        c.append(numeric("classifier", f"{len(rk['replay'])} steps replayed", k["replay"], rk["replay"], "replay",
                         "max_rel"))
        c.append(agreement("classifier", "top-1 class of each val image", k["predictions"], rk["predictions"],
                           classifier_agreement(ref["evaluate"]["metrics"]["gt"]["top1"])))
        c.append(numeric("classifier", "train accuracy", [k["train_accuracy"]], [rk["train_accuracy"]],
                         "train_accuracy"))
    co, rco = run["colorize"], ref["colorize"]
    c.append(exact("colorize", "val images and random donors", [co["val_index"], co["random_donor"]],
                   [rco["val_index"], rco["random_donor"]]))
    for v in ("gt", "grey", "random"):
        c.append(numeric("colorize", f"{v} per-image statistics", co[v], rco[v], "stats"))
    c.append(numeric("colorize", "ours per-image statistics", co["ours"], rco["ours"], "ours_stats", "mean_abs",
                     seed_tolerance(spread, "ours_stats")))
    c += _evaluate(run["evaluate"], ref["evaluate"], spread)
    c.append(exact("study", "trials per kind, display, methods", run["study"], ref["study"]))
    c.append(exact("study_analysis", "responses counted, excluded, skipped", run["study_analysis"],
                   ref["study_analysis"]))
    c.append(exact("figures", "figure sizes", run["figures"]["sizes"], ref["figures"]["sizes"]))
    c.append(exact("figures", "Table 2 states this run's metrics", run["figures"]["table2_states_the_metrics"], True))
    return c


def _batches(run, ref) -> Check:
    """The loader's first batches (crops, flips, order) against the committed ones, byte by byte."""
    tol, _ = TOLERANCES["batches"]
    a, b = np.asarray(run), np.asarray(ref)
    if a.shape != b.shape:
        return Check("train", "loader's first batches", "DIVERGES", f"shape {a.shape} vs {b.shape}", "same shape")
    share = float((a != b).mean())
    verdict = "same" if share == 0 else ("within tolerance" if share <= tol else "DIVERGES")
    return Check("train", "loader's first batches (share of bytes that differ)", verdict, _num(share), _num(tol))


def _evaluate(run, ref, spread) -> list:
    out = []
    pi, rpi = run["per_image"], ref["per_image"]
    for col in sorted(rpi):
        if col not in pi:
            out.append(Check("evaluate", col, "DIVERGES", "missing", "present"))
        elif col == "top5_ours":
            out.append(agreement("evaluate", f"per-image {col}", pi[col], rpi[col],
                                 seed_tolerance(spread, "agreement")))
        elif col.startswith("top5_"):
            out.append(agreement("evaluate", f"per-image {col}", pi[col], rpi[col]))
        elif col.endswith("_ours"):
            out.append(numeric("evaluate", f"per-image {col}", pi[col], rpi[col], "per_image_auc_ours", "mean_abs",
                               seed_tolerance(spread, "per_image_auc_ours")))
        else:
            out.append(numeric("evaluate", f"per-image {col}", pi[col], rpi[col], "per_image_auc"))
    for v in ("gt", "grey", "random"):
        keys = [k for k in ("auc", "auc_rebal", "auc_rebal_eq", "colorfulness", "delta_cf", "psnr", "ssim")
                if k in ref["metrics"].get(v, {}) and k in run["metrics"].get(v, {})]
        out.append(numeric("evaluate", f"{v} metrics without the classifier", [run["metrics"][v][k] for k in keys],
                           [ref["metrics"][v][k] for k in keys], "metric", "max_rel1"))
    return out


def first_divergence(checks) -> str | None:
    bad = [c.stage for c in checks if c.verdict == "DIVERGES"]
    return min(bad, key=WALK.index) if bad else None


def table(checks) -> str:
    rows = [f"{'stage':<18} {'check':<52} {'verdict':<17} {'measured':<26} tolerance", "-" * 130]
    for stage in WALK:
        for c in (c for c in checks if c.stage == stage):
            rows.append(f"{c.stage:<18} {c.name[:52]:<52} {c.verdict:<17} {c.measured[:26]:<26} {c.tolerance}")
    return "\n".join(rows)
