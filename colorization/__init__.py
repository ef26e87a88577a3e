"""Colorful Image Colorization (Zhang, Isola, Efros, ECCV 2016), as reproduced by
Nicolai, Orgaz Exposito and Bianchi (KTH): the library behind the DVC pipeline.

Modules are named after the paper's concepts: ``lab`` (colour space), ``bins``
(the Q = 313 quantised ab bins and soft-encoding), ``prior`` (empirical colour
prior and class rebalancing), ``loss`` (rebalanced multinomial cross-entropy, and
L2 for the ablation), ``decode`` (annealed mean), ``model`` (the ECCV16 network),
``training`` (the step, schedule and checkpoints), ``inference`` (colourizing
images and photos), ``metrics`` (AuC, top-k, colourfulness, PSNR, SSIM),
``evaluation`` (per-image pieces and bootstrap intervals), ``confusion`` (top-5
confusion analysis), ``classifier`` (the VGG-16 that scores), ``study`` (the
perceptual study) and ``wordnet`` (synset selection).
"""

__version__ = "0.1.0"
