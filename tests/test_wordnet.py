from pathlib import Path

from colorization.wordnet import select_synsets, similarity_matrix, wnid

WNIDS_FILE = Path(__file__).resolve().parents[1] / "colorization" / "imagenet1k_wnids.txt"


def imagenet1k():
    return [line.strip() for line in WNIDS_FILE.read_text().splitlines() if line.strip() and not line.startswith("#")]


def test_wnid_of_banana(wordnet):
    assert wnid(wordnet.synset("banana.n.02")) == "n07753592"


def test_fruits_rank_above_vehicles(wordnet):
    names = ["banana.n.02", "car.n.01", "lemon.n.01", "bicycle.n.01", "broccoli.n.02", "airliner.n.01"]
    cands = [wnid(wordnet.synset(n)) for n in names]
    chosen = select_synsets(cands, ["fruit.n.01", "vegetable.n.01"], 3, wordnet)
    assert {c[1] for c in chosen} == {"banana.n.02", "lemon.n.01", "broccoli.n.02"}
    assert [c[2] for c in chosen] == sorted([c[2] for c in chosen], reverse=True)
    # deterministic in the candidates' order
    assert select_synsets(cands[::-1], ["fruit.n.01", "vegetable.n.01"], 3, wordnet) == chosen


def test_imagenet1k_list_is_the_standard_one(wordnet, fruits360):
    wnids = imagenet1k()
    assert len(wnids) == 1000 == len(set(wnids)) and wnids == sorted(wnids)
    import csv

    with open(fruits360 / "classes.csv") as f:
        for row in csv.DictReader(f):
            if row["in_imagenet1k"] == "1":
                assert wnids[int(row["imagenet1k_index"])] == row["wnid"]


def test_imagenet1k_wnids_are_wordnet_nouns(wordnet):
    for w in imagenet1k():
        assert wordnet.synset_from_pos_and_offset("n", int(w[1:])) is not None


def test_paper_selection_on_imagenet_is_mostly_produce(wordnet):
    chosen = select_synsets(imagenet1k(), ["fruit.n.01", "vegetable.n.01"], 33, wordnet)
    food = [c for c in chosen if wordnet.synset(c[1]).lexname() in ("noun.food", "noun.plant")]
    assert len(food) >= 25, [c[1] for c in chosen]
    names = {c[1] for c in chosen}
    assert {"banana.n.02", "lemon.n.01", "broccoli.n.02"} <= names


def test_similarity_matrix_is_symmetric_with_unit_diagonal(wordnet):
    w = [wnid(wordnet.synset(n)) for n in ("banana.n.02", "lemon.n.01", "car.n.01")]
    m = similarity_matrix(wordnet, w)
    assert all(abs(m[i][i] - 1) < 1e-9 for i in range(3)) and m[0][1] == m[1][0] and m[0][2] < m[0][1]


def test_two_preparations_of_the_wordnet_cache_at_once_do_not_trip_over_each_other(tmp_path, monkeypatch):
    """Debian's folder lacks `lexnames`; stages and test workers may copy it to the cache at the
    same moment. Here a second preparation runs in the middle of the first one's last rename,
    as a concurrent process can: each uses its own temporary names, so both succeed."""
    from colorization import wordnet

    src = tmp_path / "dict"
    src.mkdir()
    for name in ("data.noun", "index.noun"):
        (src / name).write_text(name)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    real_replace, interrupted = Path.replace, []

    def replace(self, target):
        if Path(target).name == "lexnames" and not interrupted:
            interrupted.append(True)
            wordnet._prepare_dict(src)  # the other process, finishing first
        return real_replace(self, target)

    monkeypatch.setattr(Path, "replace", replace)
    cache = wordnet._prepare_dict(src)
    assert interrupted and sorted(f.name for f in cache.iterdir()) == ["data.noun", "index.noun", "lexnames"]
