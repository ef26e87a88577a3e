"""A seeded, procedurally rendered produce dataset: the pipeline's default benchmark.

Why it exists: ``dvc repro`` must run on a fresh clone with no download, fast on
a CPU, and still show the paper's effects. So each image is rendered in Lab:

* **Classes** are 40 real WordNet 3.0 noun synsets of fruits and vegetables
  (wnid and synset name below, checked against WordNet in the tests). With the
  paper's seeds (fruit, vegetable) and count 33, the synsets stage keeps the 32
  core classes plus chili and drops the 7 least similar ones.
* **L carries the cues** that make colour predictable: each class has its own
  outline (round, oval, elongated, crescent, clustered berries, heart, pear,
  bell, leafy, floret), surface texture (dimpled peel, seeds, stripes, scales,
  net, ridges, veins, bumps, eyes, rings, fuzz), lightness, relief shading from a
  fixed light, specular highlights and stems, crowns or leaves.
* **ab carries the colour**, drawn per object from the class's colour modes with
  a little jitter. Some classes are multimodal (apple red/green/yellow, bell
  pepper red/yellow/green, grape green/purple, plum, onion, potato), so the best
  a colourizer can do there is a plausible mode, as in real photos.
* **Some pairs differ mainly in colour** (lemon/lime, cherry/blueberry-sized
  berries, cucumber/zucchini in tone, peach/apricot): same geometry and
  lightness, different ab, so a colour-trained classifier loses accuracy on grey
  input and gains it back from a good colourization.
* **Backgrounds are mostly desaturated** (wood, cloth, stone, sky-like gradient,
  plain studio grey) so the ab prior is dominated by low chroma as in natural
  photos; that is what makes class rebalancing matter. Some scenes hold two or
  three objects.

Every image is a pure function of (seed, class, split, index): it can be rendered
in any order, in parallel, and again later.
"""

from dataclasses import dataclass, field

import numpy as np
import torch
from PIL import Image
from scipy.ndimage import gaussian_filter

from .lab import lab_to_uint8


@dataclass(frozen=True)
class Produce:
    name: str  # WordNet 3.0 synset name
    wnid: str
    shape: str
    texture: str
    modes: tuple  # ((weight, L, a, b), ...) body colour modes
    size: tuple = (0.28, 0.42)  # object radius as a share of the image side
    count: tuple = (1, 2)  # objects per scene, inclusive
    top: str = ""  # "stem", "crown", "leaves", "calyx" or ""
    top_ab: tuple = (-25.0, 35.0)
    extras: dict = field(default_factory=dict)


# fmt: off
CLASSES = (
    # --- core fruits
    Produce("banana.n.02", "n07753592", "crescent", "smooth", ((1, 82, -2, 68),), (0.36, 0.46), top="stem", top_ab=(5, 25)),
    Produce("lemon.n.01", "n07749582", "oval", "dimpled", ((1, 78, -3, 70),), (0.26, 0.36)),
    Produce("lime.n.06", "n07749731", "oval", "dimpled", ((1, 74, -38, 50),), (0.26, 0.36)),
    Produce("orange.n.01", "n07747607", "round", "dimpled", ((1, 68, 38, 70),), (0.28, 0.38)),
    Produce("apple.n.01", "n07739125", "apple", "smooth", ((0.5, 48, 55, 30), (0.3, 68, -28, 48), (0.2, 76, 4, 62)), top="stem", top_ab=(8, 20)),
    Produce("pear.n.01", "n07767847", "pear", "speckled", ((0.7, 72, -12, 55), (0.3, 60, 12, 45)), top="stem", top_ab=(8, 20)),
    Produce("strawberry.n.01", "n07745940", "heart", "seeds", ((1, 46, 60, 35),), (0.24, 0.34), (1, 3), top="calyx"),
    Produce("raspberry.n.02", "n07745466", "round", "bumps", ((1, 42, 55, 12),), (0.16, 0.24), (2, 4)),
    Produce("blueberry.n.02", "n07743544", "round", "smooth", ((1, 38, 12, -32),), (0.12, 0.18), (3, 5)),
    Produce("grape.n.01", "n07758680", "cluster", "smooth", ((0.5, 70, -20, 45), (0.5, 32, 25, -18)), (0.34, 0.44)),
    Produce("cherry.n.03", "n07757132", "round", "smooth", ((1, 36, 55, 20),), (0.12, 0.18), (3, 5), top="stem", top_ab=(-10, 25)),
    Produce("plum.n.02", "n07751451", "round", "bloom", ((0.6, 34, 30, -14), (0.4, 45, 45, 12)), (0.22, 0.32), (1, 3)),
    Produce("peach.n.03", "n07751004", "round", "fuzzy", ((1, 70, 28, 45),), (0.26, 0.36), (1, 2)),
    Produce("kiwi.n.03", "n07763629", "oval", "fuzzy_dark", ((1, 44, 8, 28),), (0.24, 0.34)),
    Produce("watermelon.n.02", "n07756951", "oval", "stripes", ((1, 46, -35, 30),), (0.40, 0.48), (1, 1)),
    Produce("pineapple.n.02", "n07753275", "tall_oval", "scales", ((1, 62, 12, 55),), (0.36, 0.44), (1, 1), top="crown"),
    Produce("pomegranate.n.02", "n07768694", "round", "smooth_matte", ((1, 40, 52, 28),), (0.30, 0.40), (1, 1), top="calyx", top_ab=(35, 20)),
    Produce("avocado.n.01", "n07764847", "pear", "pebbled", ((0.7, 34, -14, 22), (0.3, 28, 6, 6)), (0.26, 0.36)),
    Produce("mango.n.02", "n07764155", "oval", "blush", ((0.6, 66, 20, 60), (0.4, 58, -15, 50)), (0.30, 0.40)),
    # --- core vegetables
    Produce("cucumber.n.02", "n07718472", "long", "warts", ((1, 46, -30, 32),), (0.42, 0.48)),
    Produce("zucchini.n.02", "n07716358", "long", "stripes_fine", ((1, 42, -28, 30),), (0.42, 0.48), top="stem"),
    Produce("carrot.n.03", "n07730207", "cone", "rings", ((1, 64, 38, 62),), (0.40, 0.48), (1, 3), top="leaves"),
    Produce("tomato.n.01", "n07734017", "round", "glossy", ((0.85, 50, 58, 42), (0.15, 74, 10, 70)), (0.26, 0.36), (1, 3), top="calyx"),
    Produce("pepper.n.04", "n07720442", "bell", "glossy", ((0.4, 44, 58, 38), (0.3, 78, 5, 75), (0.3, 48, -35, 38)), (0.32, 0.42), top="stem"),
    Produce("eggplant.n.01", "n07713074", "pear", "glossy", ((1, 24, 18, -14),), (0.34, 0.44), (1, 1), top="calyx"),
    Produce("broccoli.n.02", "n07714990", "floret", "bumps", ((1, 42, -28, 22),), (0.34, 0.44)),
    Produce("cauliflower.n.02", "n07715103", "floret", "bumps", ((1, 84, 0, 14),), (0.34, 0.44), top="leaves"),
    Produce("head_cabbage.n.02", "n07714571", "leafy", "veins", ((0.75, 72, -22, 28), (0.25, 40, 30, -22)), (0.38, 0.46), (1, 1)),
    Produce("lettuce.n.03", "n07723559", "leafy", "ruffles", ((1, 66, -36, 45),), (0.40, 0.48), (1, 1)),
    Produce("pumpkin.n.02", "n07735510", "wide", "ridges", ((1, 64, 38, 68),), (0.38, 0.46), (1, 1), top="stem", top_ab=(5, 20)),
    Produce("potato.n.01", "n07710616", "oval", "eyes", ((0.7, 62, 6, 28), (0.3, 48, 22, 16)), (0.24, 0.34), (1, 3)),
    Produce("onion.n.03", "n07722217", "bulb", "layers", ((0.6, 62, 14, 40), (0.4, 42, 32, -6)), (0.28, 0.38)),
    # --- less similar to the seeds: dropped at count 33 except chili
    Produce("chili.n.02", "n07721456", "chili", "glossy", ((0.8, 44, 60, 42), (0.2, 50, -30, 40)), (0.40, 0.48), (1, 3), top="stem"),
    Produce("tangerine.n.02", "n07748416", "wide", "dimpled", ((1, 64, 42, 66),), (0.24, 0.32), (1, 3)),
    Produce("cantaloup.n.02", "n07755929", "round", "net", ((1, 70, 10, 38),), (0.38, 0.46), (1, 1)),
    Produce("coconut.n.02", "n07772935", "round", "fibres", ((1, 34, 10, 22),), (0.30, 0.40), (1, 1)),
    Produce("gooseberry.n.02", "n07744430", "oval", "veins", ((1, 70, -22, 40),), (0.14, 0.20), (3, 5)),
    Produce("honeydew.n.01", "n07756325", "round", "smooth_matte", ((1, 82, -10, 28),), (0.38, 0.46), (1, 1)),
    Produce("corn.n.03", "n07731952", "long", "kernels", ((1, 80, 2, 62),), (0.42, 0.48), (1, 1), top="leaves"),
    Produce("garlic.n.02", "n07818277", "bulb", "layers", ((1, 86, 2, 8),), (0.26, 0.36), (1, 2)),
)
# fmt: on
BY_WNID = {c.wnid: c for c in CLASSES}
SPLITS = {"train": 0, "val": 1}


def _grid(n):
    y, x = np.mgrid[0:n, 0:n].astype(np.float32) / n
    return x, y


def _outline(shape, u, v, rng):
    """Signed 'inside' field (>0 inside) in object coordinates u, v (unit radius)."""
    r = np.hypot(u, v)
    th = np.arctan2(v, u)
    if shape == "round":
        return 1 - r
    if shape == "apple":
        return 1 - r * (1 + 0.12 * np.cos(th + np.pi / 2) ** 8)
    if shape == "wide":
        return 1 - np.hypot(u / 1.2, v / 0.85)
    if shape in ("oval", "tall_oval"):
        e = (1.35, 0.8) if shape == "oval" else (0.75, 1.25)
        return 1 - np.hypot(u / e[0], v / e[1])
    if shape == "long":
        return 1 - np.hypot(u / 2.0, v / 0.45)
    if shape == "cone":
        t = np.clip((u + 1.8) / 3.6, 0, 1)  # thick end at u = -1.8
        return np.minimum(1 - np.abs(u) / 1.8, 0.45 * (1 - t) + 0.05 - np.abs(v)) * 3
    if shape == "chili":
        bend = v - 0.25 * u**2
        t = np.clip((u + 1.8) / 3.6, 0, 1)
        return np.minimum(1 - np.abs(u) / 1.8, 0.32 * (1 - t) + 0.04 - np.abs(bend)) * 3
    if shape == "crescent":
        outer = 1 - np.hypot(u / 1.6, (v - 0.5) / 1.2)
        inner = 1 - np.hypot(u / 1.5, (v - 0.95) / 1.15)
        return np.minimum(outer, -inner)
    if shape == "heart":
        return 1 - np.hypot(u / (0.95 - 0.35 * np.clip(v, -1, 1)), v / 1.1)
    if shape == "pear":
        return np.maximum(1 - np.hypot(u, (v - 0.35) / 0.9), 0.62 - np.hypot(u, v + 0.55))
    if shape == "bell":
        return 1 - r * (1 + 0.1 * np.cos(3 * th) + 0.1 * v)
    if shape == "bulb":
        return 1 - r * (1 + 0.35 * np.clip(-v, 0, None) ** 2 * (1 + np.abs(np.sin(th))))
    if shape in ("leafy", "floret"):
        k, amp = (7, 0.12) if shape == "leafy" else (11, 0.07)
        return 1 - r * (1 + amp * np.sin(k * th + rng.uniform(0, 6)))
    if shape == "cluster":
        centres = [(x, y) for y in np.linspace(-0.8, 0.8, 5) for x in np.linspace(-0.7, 0.7, 5) if abs(x) < 0.75 - 0.35 * y]
        best = np.full(u.shape, -1.0, np.float32)
        for cx, cy in centres:
            best = np.maximum(best, 1 - np.hypot(u - cx + rng.normal(0, 0.03), v - cy) / 0.24)
        return best
    raise ValueError(f"unknown shape {shape}")


def _texture(kind, u, v, rng, n):
    """Lightness modulation (in L units) over the object's surface."""
    r = np.hypot(u, v)
    th = np.arctan2(v, u)
    noise = lambda s: gaussian_filter(rng.normal(0, 1, (n, n)).astype(np.float32), s)  # noqa: E731

    def unit(s):  # one draw of smoothed noise, scaled by its own spread
        z = noise(s)
        return z / (z.std() + 1e-6)
    if kind in ("smooth", "glossy"):
        return 0 * u
    if kind == "smooth_matte":
        return 2 * noise(n / 40)
    if kind == "dimpled":
        return 5 * unit(0.8)
    if kind == "speckled":
        return -6 * (unit(0.7) > 1.8)
    if kind == "seeds":
        return -10 * ((np.sin(u * 26) * np.sin(v * 26 + 1.5 * (np.floor(u * 26 / np.pi) % 2))) > 0.85)
    if kind in ("bumps", "pebbled"):
        s = n / 28 if kind == "bumps" else 0.9
        return 8 * unit(s)
    if kind == "fuzzy":
        return 2.5 * unit(0.5)
    if kind == "fuzzy_dark":
        return 4 * unit(0.5) - 4 * (r < 0.2)
    if kind == "bloom":
        return 6 * np.clip(unit(n / 20), 0, None)
    if kind == "blush":
        return 4 * np.tanh(u * 2)
    if kind == "stripes":
        return 9 * np.sign(np.sin(v * 9 + 1.2 * np.sin(u * 4)))
    if kind == "stripes_fine":
        return 5 * np.sin(v * 30) + 2 * noise(0.6)
    if kind == "scales":
        return 10 * (np.abs(np.sin((u + v) * 11)) * np.abs(np.sin((u - v) * 11)) - 0.4)
    if kind == "warts":
        return 7 * (unit(0.7) > 1.5)
    if kind == "rings":
        return -6 * (np.sin(u * 22) > 0.9)
    if kind == "veins":
        return 8 * (np.abs(np.sin(th * 6 + r * 4)) < 0.12) - 2
    if kind == "ruffles":
        return 7 * np.sin(r * 28 + 2 * np.sin(th * 9))
    if kind == "ridges":
        return -10 * np.abs(np.cos(th * 5)) ** 6
    if kind == "eyes":
        return -12 * (unit(1.2) < -2.2) + 2 * noise(2)
    if kind == "layers":
        return 4 * np.sin(u * 18 / (0.3 + np.abs(v) + 0.2))
    if kind == "net":
        c = np.abs(noise(1.5))
        return 10 * (c < 0.15 * c.std() * 3) - 3
    if kind == "fibres":
        return 8 * np.sin(u * 50 + 3 * unit(4))
    if kind == "kernels":
        return -9 * ((np.abs(np.sin(u * 18)) < 0.2) | (np.abs(np.sin(v * 22)) < 0.2))
    raise ValueError(f"unknown texture {kind}")


def _background(rng, n):
    """Low-chroma scene backgrounds: (L, a, b) maps."""
    x, y = _grid(n)
    kind = rng.choice(["wood", "cloth", "stone", "sky", "plain"], p=[0.25, 0.25, 0.2, 0.15, 0.15])
    noise = gaussian_filter(rng.normal(0, 1, (n, n)).astype(np.float32), n / 30)
    noise /= noise.std() + 1e-6
    sat = rng.uniform(0.1, 0.5)
    if kind == "wood":
        L = rng.uniform(45, 70) + 6 * np.sin(y * rng.uniform(20, 50) + 2 * noise)
        ab = (14 * sat, 26 * sat)
    elif kind == "cloth":
        f = rng.uniform(60, 120)
        L = rng.uniform(55, 85) + 3 * np.sin(x * f) * np.sin(y * f)
        h = rng.uniform(0, 2 * np.pi)
        ab = (18 * sat * np.cos(h), 18 * sat * np.sin(h))
    elif kind == "stone":
        L = rng.uniform(40, 70) + 6 * noise
        ab = (3 * sat, 6 * sat)
    elif kind == "sky":
        L = 88 - rng.uniform(10, 25) * y
        ab = (-6 * sat, -28 * sat)
    else:
        L = np.full((n, n), rng.uniform(70, 95), np.float32)
        ab = (0.0, 0.0)
    L = np.asarray(L, np.float32) + 0 * x
    return L, np.full((n, n), ab[0], np.float32), np.full((n, n), ab[1], np.float32)


def _shade(inside, n):
    """Relief shading of a mask lit from the upper left, plus a specular term."""
    h = gaussian_filter(np.clip(inside * 4, 0, 1).astype(np.float32), n / 28)
    gy, gx = np.gradient(h * n / 6)
    norm = np.sqrt(gx**2 + gy**2 + 1)
    lambert = (-gx * -0.55 + -gy * -0.55 + 0.63) / norm
    return np.clip(lambert, 0, 1), np.clip(lambert, 0, 1) ** 40


def render(cls: Produce, rng: np.random.Generator, size: int) -> np.ndarray:
    """One scene of ``cls`` as a (size, size, 3) uint8 sRGB image."""
    n = size * 2  # supersampled, then box-filtered: smooth outlines without aliasing
    x, y = _grid(n)
    L, A, B = _background(rng, n)
    k = rng.integers(cls.count[0], cls.count[1] + 1)
    for _ in range(k):
        rad = rng.uniform(*cls.size) * (1.0 if k == 1 else 0.8)
        cx, cy = (rng.uniform(0.3, 0.7, 2) if k == 1 else rng.uniform(0.2, 0.8, 2))
        ang = rng.uniform(-0.6, 0.6) if cls.shape not in ("long", "cone", "chili", "crescent") else rng.uniform(-np.pi, np.pi)
        dx, dy = (x - cx) / rad, (y - cy) / rad
        u, v = dx * np.cos(ang) + dy * np.sin(ang), -dx * np.sin(ang) + dy * np.cos(ang)
        inside = _outline(cls.shape, u, v, rng)
        mask = np.clip(inside * 25, 0, 1)
        w, l0, a0, b0 = zip(*cls.modes)
        m = rng.choice(len(w), p=np.array(w) / sum(w))
        lam, spec = _shade(inside, n)
        gloss = 30 if cls.texture == "glossy" else 12
        Lo = l0[m] + rng.normal(0, 4) + _texture(cls.texture, u, v, rng, n) + 22 * (lam - 0.6) + gloss * spec
        ao, bo = a0[m] + rng.normal(0, 4), b0[m] + rng.normal(0, 4)
        # colour fades where the relief is dark or glossy, as real surfaces do
        fade = np.clip(0.55 + 0.6 * lam, 0, 1) * (1 - 0.7 * spec)
        L = L * (1 - mask) + Lo * mask
        A = A * (1 - mask) + ao * fade * mask
        B = B * (1 - mask) + bo * fade * mask
        if cls.top:
            L, A, B = _add_top(cls, u, v, L, A, B, rng)
    A += rng.normal(0, 1.0, A.shape)
    B += rng.normal(0, 1.0, B.shape)
    lab = torch.from_numpy(np.stack([np.clip(L, 0, 100), A, B])[None].astype(np.float32))
    rgb = lab_to_uint8(lab)[0]
    return np.asarray(Image.fromarray(rgb).resize((size, size), Image.Resampling.BOX))


def _add_top(cls, u, v, L, A, B, rng):
    """Stems, crowns, calyxes and leaves: small parts in their own colour."""
    if cls.top == "stem":
        part = (np.abs(u) < 0.07) & (v < -0.7) & (v > -1.25)
        l_top = 38
    elif cls.top == "crown":
        part = (v < -1.0) & (v > -1.9) & (np.abs(u) < 0.12 + 0.3 * np.abs(np.sin(u * 14)) * (-(v + 1.0)))
        l_top = 44
    elif cls.top == "calyx":
        part = (np.hypot(u, v + 0.85) < 0.35) & (np.abs(np.sin(np.arctan2(v + 0.85, u) * 5)) > 0.3)
        l_top = 40
    else:  # leaves at one end
        part = (np.abs(v) < 0.25 + 0.25 * np.abs(np.sin(u * 9))) & (u < -1.6) & (u > -2.6)
        l_top = 46
    A, B = A.copy(), B.copy()
    L = np.where(part, l_top + rng.normal(0, 3), L)
    A = np.where(part, cls.top_ab[0] + rng.normal(0, 3), A)
    B = np.where(part, cls.top_ab[1] + rng.normal(0, 3), B)
    return L, A, B


def image_rng(seed: int, wnid: str, split: str, index: int) -> np.random.Generator:
    return np.random.default_rng([seed, int(wnid[1:]), SPLITS[split], index])


def render_item(seed: int, wnid: str, split: str, index: int, size: int) -> np.ndarray:
    """The image ``index`` of class ``wnid`` in ``split``: deterministic in its arguments."""
    return render(BY_WNID[wnid], image_rng(seed, wnid, split, index), size)
