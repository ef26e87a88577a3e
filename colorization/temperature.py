"""Zhang et al.'s annealed-mean temperature (their eq. 5), kept by the reproduction.

A module of its own, free of PyTorch: the command line shows it as a default without
loading PyTorch (so `results` and `fsck` start at once), and the stages that decode depend
on this one number, not on a module of other constants.
"""

ZHANG_T = 0.38
