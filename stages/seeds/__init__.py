"""The seed study (seeds/dvc.yaml, `make seeds`): the colourizer trained with `seeds.n`
training seeds (train.seed, train.seed + 1, ...; data, val selection and classifier fixed,
the first seed being the main run itself, reused), each colourizing and scored like the main
run. It says how much every headline number and finding moves with another training run,
which the bootstrap intervals over val images cannot.

    python -m stages.seeds.train       # models/seeds/seed_<s>/model.pt
    python -m stages.seeds.evaluate    # reports/seeds.{json,md}, reports/figures/seeds.png
"""
