"""Each figure function renders on tiny fake inputs, with its axes labelled."""

import numpy as np
import pandas as pd

from colorization import figures as F
from colorization.bins import ab_bins


def _img(seed, n=16):
    return np.random.default_rng(seed).integers(0, 255, (n, n, 3), dtype=np.uint8)


def _save(fig, tmp_path, name):
    path = tmp_path / name
    fig.savefig(path, dpi=50)
    F.plt.close(fig)
    assert path.stat().st_size > 1000
    return path


def test_image_figures(tmp_path):
    by_T = {T: _img(i) for i, T in enumerate((1.0, 0.38, 0.0))}
    fig = F.temperature(by_T, _img(9), _img(10))
    titles = [ax.get_title() for ax in fig.axes]
    assert "T = 0 (mode)" in titles and "T = 0.38" in titles and "ground truth" in titles
    _save(fig, tmp_path, "t.png")
    fig = F.examples({"grey": [_img(1), _img(2)], "ours": [_img(3), _img(4)], "gt": [_img(5), _img(6)]},
                     ["best 1", "worst 1"])
    assert [ax.get_ylabel() for ax in fig.axes[::2]] == ["greyscale", "ours", "ground truth"]
    _save(fig, tmp_path, "e.png")
    fig = F.amplified_confusion(np.stack([_img(1)]), np.stack([_img(2)]), np.stack([_img(3)]), "a vs b")
    _save(fig, tmp_path, "a.png")
    _save(F.amplified_confusion([], [], [], "a vs b"), tmp_path, "a0.png")


def test_chart_figures(tmp_path):
    table = pd.DataFrame({"synset": ["banana.n.02", "lemon.n.01"], "top5_grey": [0.2, 0.5], "top5_ours": [0.6, 0.4]})
    fig = F.per_synset_top5(table)
    assert fig.axes[0].get_xlabel() == "top-5 accuracy" and "1 of 2" in fig.axes[0].get_title()
    _save(fig, tmp_path, "s.png")
    fig = F.confusion_scatter(np.array([0.0, 0.5, 0.2]), np.array([0.6, 0.4, 0.2]), ["a→b", "b→c", "c→a"])
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts == ["a→b"]  # only increases are labelled
    _save(fig, tmp_path, "c.png")
    bins = ab_bins()
    p = np.random.default_rng(0).dirichlet(np.ones(313))
    _save(F.prior_and_weights(bins[:, 0], bins[:, 1], p, 1 / (p + 0.01)), tmp_path, "p.png")
    th = np.arange(151)
    fig = F.auc_curves(th, {"gt": np.ones(151), "ours": th / 150}, {"gt": 1.0, "ours": 0.5})
    assert fig.axes[0].get_xlabel() and "AuC 0.500" in fig.axes[0].get_legend().get_texts()[1].get_text()
    _save(fig, tmp_path, "auc.png")
    _save(F.learning_curve(np.arange(1, 41), np.linspace(5, 3, 40)), tmp_path, "l.png")
    m = np.array([[1, 0.3, 0.1], [0.3, 1, 0.1], [0.1, 0.1, 1]])
    fig = F.synset_similarity(m, ["banana.n.02", "lemon.n.01", "car.n.01"])
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()][-1] in ("car", "banana", "lemon")
    _save(fig, tmp_path, "sim.png")
