"""Colorful Image Colorization (Zhang, Isola, Efros, ECCV 2016), as reproduced by
Nicolai, Orgaz Exposito and Bianchi (KTH): the library behind the DVC pipeline. Modules are
named after the paper's concepts; each concept has one home.

- The method: ``lab`` (sRGB <-> Lab), ``grid`` and ``bins`` (the Q = 313 ab bins and
  soft-encoding), ``prior`` (colour prior, class rebalancing), ``loss`` (rebalanced
  cross-entropy; L2), ``model`` (the ECCV16 network), ``decode`` (annealed mean) and
  ``temperature`` (Zhang's T).
- Data: ``synthetic`` (the default data), ``sources`` (synthetic, folder, ImageNet),
  ``images`` (decoding any image), ``resize``, ``datasets`` (laying out a download),
  ``wordnet`` (synset selection).
- Training: ``data`` (batches as a pure function of seed and iteration), ``training`` (the
  step, schedule and resumable run), ``checkpoint`` (what a checkpoint belongs to),
  ``devices`` (device and DDP), ``lock`` (one training per workspace).
- Evaluation: ``inference`` and ``photos`` (colourizing), ``classifier`` (the VGG-16 that
  scores), ``metrics``, ``evaluation`` (per-image pieces, bootstrap), ``confusion``,
  ``variants``, ``seeds`` (the seed study's statistics), ``probe``, ``finetune`` (the random
  body rescaled on data, fine-tuning with few labels) and ``probe_report`` (feature
  learning), ``study`` and ``study_server`` (the perceptual study).
- Reports: ``figures``, ``report``, ``results`` (the last screen of a run), ``published``
  (the papers' numbers).
- Reproducibility: ``verify`` (`make verify`), ``signatures`` and ``stagewalk`` (each stage's
  signature against the reference's), ``reference`` (the committed reference), ``provenance``
  (what decides a run's bytes), ``integrity`` and ``fsck`` (content against dvc.lock and the
  cache).
- Plumbing: ``atomic`` (all-or-nothing writes), ``errors``, ``progress``, ``shapes``.
"""

__version__ = "0.1.0"
