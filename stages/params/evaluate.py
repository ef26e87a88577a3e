"""`evaluate`: how the variants are scored (read by classifier, evaluate and the pipelines that
score again)."""

from colorization.shapes import VGG16_MIN_INPUT
from stages.params.checks import ParamsError, integer, is_unset, one_of, path

COMMENT = ""
MIN_BOOTSTRAP = 100  # below this a 2.5 % quantile rests on fewer than 3 resamples
KEYS = {
    "classifier": one_of("trained", "trained", "imagenet",
                         comment="trained (VGG-16 trained here) | imagenet (torchvision's VGG-16)"),
    "vgg16_weights": path("imagenet: the vgg16-397923af.pth file; none = the torch hub cache"),
    "bootstrap": integer(1000, MIN_BOOTSTRAP, comment=f"bootstrap resamples for the 95% intervals (at least "
                                                      f"{MIN_BOOTSTRAP})"),
    "seed": integer(0, 0),
}


def check_image_size(e, size, where="data.size"):
    """The VGG-16 trained here halves its input five times."""
    if e["classifier"] == "trained" and size < VGG16_MIN_INPUT:
        raise ParamsError(f"'{where}' is {size}; the VGG-16 trained here needs at least {VGG16_MIN_INPUT} px "
                          "(it halves the image five times), or set evaluate.classifier: imagenet")


def vgg16_weights(e):
    """The ImageNet VGG-16 weights file, or None: the torch hub cache."""
    return None if is_unset(e["vgg16_weights"]) else e["vgg16_weights"]
