"""WordNet 3.0 through NLTK, and the paper's synset selection by path similarity.

Two installations are supported: NLTK's own ``wordnet`` data (``nltk.download``,
needs internet once) and Debian's ``wordnet-base`` package (``/usr/share/wordnet``).
The Debian files lack the ``lexnames`` file NLTK reads, and NLTK refuses a root
outside ``nltk.data.path``, so the Debian folder is mirrored (symlinks) into a
cache folder with ``lexnames`` added (a copy: NLTK rejects symlinks that lead
outside its root), and that folder is put on the path.
"""

import os
import shutil
import uuid
import warnings
from functools import lru_cache
from pathlib import Path

import nltk
from nltk.corpus.reader.wordnet import WordNetCorpusReader

DEBIAN_ROOT = Path("/usr/share/wordnet")

# The 45 lexicographer files of WordNet 3.0, in their numbered order (lexnames(5WN)).
LEXNAMES = (
    "adj.all adj.pert adv.all noun.Tops noun.act noun.animal noun.artifact noun.attribute "
    "noun.body noun.cognition noun.communication noun.event noun.feeling noun.food noun.group "
    "noun.location noun.motive noun.object noun.person noun.phenomenon noun.plant noun.possession "
    "noun.process noun.quantity noun.relation noun.shape noun.state noun.substance noun.time "
    "verb.body verb.change verb.cognition verb.communication verb.competition verb.consumption "
    "verb.contact verb.creation verb.emotion verb.motion verb.perception verb.possession "
    "verb.social verb.stative verb.weather adj.ppl"
).split()
_LEX_POS = {"adj": 3, "adv": 4, "noun": 1, "verb": 2}

INSTALL_HELP = (
    "WordNet 3.0 was not found. Install it with either\n"
    "  sudo apt-get install wordnet-base            (Debian/Ubuntu, works offline), or\n"
    "  python -m nltk.downloader wordnet            (needs internet)\n"
    "or set COLORIZATION_WORDNET to a folder holding WordNet 3.0's dict files."
)


class _OfflineWordNet(WordNetCorpusReader):
    """NLTK >= 3.9 maps sense keys to its own downloadable WordNet for multilingual
    data; with a plain 3.0 dict there is nothing to map, and offline it would fail."""

    def map_wn(self, version="wordnet"):
        return None


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "colorization" / "wordnet-3.0"


def _prepare_dict(src: Path) -> Path:
    """A readable copy of a WordNet dict folder with ``lexnames`` present."""
    if (src / "lexnames").is_file():
        return src
    dst = _cache_dir()
    dst.mkdir(parents=True, exist_ok=True)
    # temporary names of this process: two stages (or test workers) may prepare the cache at once
    mine = f".{uuid.uuid4().hex}.part"
    for f in src.iterdir():
        target = dst / f.name
        if f.is_file() and not target.exists():
            part = dst / (f.name + mine)
            shutil.copy2(f, part)
            part.replace(target)
    lex = "".join(f"{i:02d}\t{name}\t{_LEX_POS[name.split('.')[0]]}\n" for i, name in enumerate(LEXNAMES))
    tmp = dst / ("lexnames" + mine)
    tmp.write_text(lex)
    tmp.replace(dst / "lexnames")
    return dst


def _candidate_roots():
    env = os.environ.get("COLORIZATION_WORDNET")
    if env:
        yield Path(env)
    for base in nltk.data.path:
        yield Path(base) / "corpora" / "wordnet"
    yield DEBIAN_ROOT
    yield _cache_dir()


@lru_cache(maxsize=None)
def load_wordnet(root=None) -> WordNetCorpusReader:
    """WordNet 3.0 from ``root``, NLTK's data, or Debian's package, in that order."""
    roots = [Path(root)] if root else list(_candidate_roots())
    for r in roots:
        if (r / "data.noun").is_file() and (r / "index.noun").is_file():
            d = _prepare_dict(r)
            if str(d.parent) not in nltk.data.path:
                nltk.data.path.append(str(d.parent))  # else NLTK says "Unauthorized path"
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # "multilingual functions are not available"
                return _OfflineWordNet(str(d), None)
    raise RuntimeError(INSTALL_HELP + f"\nLooked in: {', '.join(map(str, roots))}")


def wnid(synset) -> str:
    """ImageNet-style id of a noun synset: 'n' + 8-digit offset (banana.n.02 -> n07753592)."""
    return f"{synset.pos()}{synset.offset():08d}"


def synset_from_wnid(wn, wnid_: str):
    return wn.synset_from_pos_and_offset(wnid_[0], int(wnid_[1:]))


def similarity_to_seeds(wn, wnids, seeds):
    """Max path similarity of each candidate wnid to any seed synset name."""
    seed_syns = [wn.synset(s) for s in seeds]
    return {w: max(synset_from_wnid(wn, w).path_similarity(s) or 0.0 for s in seed_syns) for w in wnids}


def select_synsets(candidates, seeds, n, wn=None):
    """The paper's selection: the ``n`` candidate wnids closest to the seeds by WordNet
    path similarity. Ties break by wnid, so the choice is deterministic.
    Returns a list of (wnid, synset name, score), best first."""
    wn = wn or load_wordnet()
    candidates = sorted(set(candidates))
    if n > len(candidates):
        raise ValueError(f"asked for {n} synsets but the source offers only {len(candidates)}")
    scores = similarity_to_seeds(wn, candidates, seeds)
    ranked = sorted(candidates, key=lambda w: (-scores[w], w))[:n]
    return [(w, synset_from_wnid(wn, w).name(), scores[w]) for w in ranked]


def similarity_matrix(wn, wnids):
    """Pairwise path similarity (len x len), for the synsets figure."""
    syns = [synset_from_wnid(wn, w) for w in wnids]
    return [[a.path_similarity(b) or 0.0 for b in syns] for a in syns]
