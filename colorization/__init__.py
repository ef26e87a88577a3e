"""Colorful Image Colorization (Zhang, Isola, Efros, ECCV 2016), as reproduced by
Nicolai, Orgaz Exposito and Bianchi (KTH): the library behind the DVC pipeline.

Modules are named after the paper's concepts: ``lab`` (colour space), ``bins``
(the Q = 313 quantised ab bins and soft-encoding), ``prior`` (empirical colour
prior and class rebalancing), ``decode`` (annealed mean), ``model`` (the ECCV16
network), ``loss`` (rebalanced multinomial cross-entropy), ``metrics`` (AuC,
top-k, confusion) and ``wordnet`` (synset selection).
"""

__version__ = "0.1.0"
