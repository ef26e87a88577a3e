"""Colourization as self-supervised feature learning (probe/dvc.yaml, `make probe`): linear
probes on the frozen features of every block of the ECCV16 body, for the body trained to
colourize (the main run), a random one and one trained with labels.

    python -m stages.probe.supervised   # models/probe/supervised.pt: the body trained with labels
    python -m stages.probe.evaluate     # reports/probe.{json,md}, probe_ci.json, figures/probe.png
"""
