"""Published numbers to set beside ours (percentages, as printed in the papers)."""

# Nicolai, Orgaz Exposito, Bianchi (KTH), Table 2: 1,000 ImageNet val images of 20 of
# the 33 training synsets; VGG-16 pretrained on ImageNet; AuC thresholds 0..150.
KTH_TABLE2 = {  # method: (AuC, AuC rebalanced, VGG-16 top-5)
    "gt": (100.0, 100.0, 92.1),
    "grey": (79.9, 68.3, 46.4),
    "random": (79.0, 68.2, 17.4),
    "zhang": (83.8, 78.6, 67.7),
    "ours": (85.5, 81.0, 81.0),
}
KTH_FOOL_RATE = 18.78  # % of 2AFC trials, 50 images, 10 participants, 1 s display

# Zhang, Isola, Efros (ECCV 2016), Table 1: 10,000 ImageNet val images; VGG-16 top-1.
ZHANG_TABLE1 = {  # method: (AuC, AuC rebalanced, VGG-16 top-1, AMT labelled real)
    "gt": (100.0, 100.0, 68.3, 50.0),
    "grey": (89.1, 58.0, 52.7, None),
    "random": (84.2, 57.3, 41.0, 13.0),
    "zhang": (89.5, 67.3, 56.0, 32.3),
}

# Zhang, Isola, Efros (ECCV 2016), Table 1, the loss ablation: (AuC, AuC rebalanced, VGG-16 top-1)
ZHANG_TABLE1_ABLATION = {
    "l2": (91.2, 64.4, 54.9),     # Ours (L2): regression of ab
    "class": (91.6, 65.1, 56.6),  # Ours (class): classification, no rebalancing
    "full": ZHANG_TABLE1["zhang"][:3],  # Ours (full), lambda = 0.5: their released model
}

# Zhang et al. section 3.3 (and the split-brain paper's re-run with the released protocol):
# ImageNet-1k linear classification, top-1 %, on frozen features of AlexNet conv1..conv5.
# Read from a plot, so approximate (+- 0.2). Not comparable in level with a 10- or 33-class
# probe at 64 px; the shape across layers is what can be compared.
ZHANG_PROBE_LAYERS = ("conv1", "conv2", "conv3", "conv4", "conv5")
ZHANG_PROBE = {
    "supervised": (19.3, 36.3, 44.2, 48.3, 50.5),  # ImageNet labels
    "random": (11.7, 17.1, 17.0, 16.4, 14.2),  # Gaussian
    "colorization": (13.1, 24.8, 31.0, 32.6, 31.8),
}

# Zhang et al. Table 4, right-hand side: PASCAL VOC 2007 classification (%mAP), every layer of an
# AlexNet fine-tuned (../shared/reference/published_results.md): another task and network than
# the fine-tuning here, for the direction of the comparison only.
ZHANG_PASCAL_CLASSIFICATION = {"supervised": 79.9, "random": 53.3, "colorization": 65.9}
