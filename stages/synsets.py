"""Stage `synsets`: pick `synsets.count` of the source's classes by WordNet path
similarity to `synsets.seeds`, as the paper chose 33 ImageNet synsets."""

import numpy as np
import pandas as pd

from colorization.sources import source_from_config
from colorization.wordnet import load_wordnet, select_synsets, similarity_matrix, synset_from_wnid
from stages.common import ParamsError, atomic_path, load_params, run, say, write_csv
from stages.params import data, synsets

OUT_CSV, OUT_SIM = "data/synsets.csv", "data/synset_similarity.csv"
MIN_CLASSES = 2  # synsets.count's own minimum: a classifier needs two classes


def main():
    p = load_params(data, synsets)
    d, s = p["data"], p["synsets"]
    source = source_from_config(d)
    wn = load_wordnet()
    for seed in s["seeds"]:
        try:
            wn.synset(seed)
        except Exception:
            raise ParamsError(f"'synsets.seeds' holds {seed!r}, which is not a WordNet 3.0 synset name "
                              "(e.g. fruit.n.01)") from None
    candidates = [w for w in source.candidates() if _is_noun_synset(wn, w)]
    empty = [w for w in candidates if source.count("train", w) == 0]
    for w in empty:
        say(f"synsets: {w} has no train images; left out")
    candidates = [w for w in candidates if w not in empty]
    if len(candidates) < MIN_CLASSES:
        raise ParamsError(f"the {d['source']} source under data.root offers {len(candidates)} class(es) with train "
                          f"images; the study needs at least {MIN_CLASSES} (add photos"
                          + (f" to {', '.join(empty[:3])}" if empty else "") + " or point data.root elsewhere)")
    if s["count"] > len(candidates):
        raise ParamsError(f"'synsets.count' is {s['count']} but the {d['source']} source offers only "
                          f"{len(candidates)} classes; set synsets.count to at most {len(candidates)}")
    chosen = select_synsets(candidates, s["seeds"], s["count"], wn)
    rows = []
    for wnid, name, score in chosen:
        syn = synset_from_wnid(wn, wnid)
        rows.append({
            "wnid": wnid, "synset": name, "lemma": syn.lemmas()[0].name(), "score": round(score, 6),
            "n_train": source.count("train", wnid), "n_val": source.count("val", wnid),
        })
    table = pd.DataFrame(rows)
    write_csv(OUT_CSV, table)
    sim = pd.DataFrame(np.round(similarity_matrix(wn, table.wnid), 6), index=table.wnid, columns=table.wnid)
    with atomic_path(OUT_SIM) as tmp:
        sim.to_csv(tmp)
    say(f"synsets: chose {len(table)} of {len(candidates)} candidates "
        f"(scores {table.score.min():.3f}..{table.score.max():.3f}); {table.n_train.sum()} train, "
        f"{table.n_val.sum()} val images available")


def _is_noun_synset(wn, wnid):
    try:
        synset_from_wnid(wn, wnid)
        return True
    except Exception:
        say(f"synsets: {wnid} is not a WordNet 3.0 noun synset; left out")
        return False


if __name__ == "__main__":
    run(main)
