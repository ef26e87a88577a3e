"""`train`: the colourization network's training (read by train, and by the ablation, seeds
and probe pipelines, which train the same network again)."""

from colorization.shapes import INPUT_MULTIPLE
from stages.params.checks import ParamsError, boolean, integer, number, one_of, positive, unit_pair

COMMENT = ""
KEYS = {
    "loss": one_of("classification", "classification", "regression",
                   comment="classification (eq. 1 = Zhang eq. 2) | regression (L2, Zhang eq. 1)"),
    "iterations": integer(600, 1, comment="paper: 150000 (enough for the three findings on this data)"),
    "batch_size": integer(32, 2, comment="paper: 40"),
    "crop": integer(64, 8, comment="random crop, a multiple of 8 (paper: 176 of 256); at 64 px a crop costs more "
                                   "than it adds"),
    "flip": number(0.5, 0, 1),
    "lr": positive(3.0e-4, comment="peak learning rate (paper: 3.16e-5 at batch 40 and 150k iterations)"),
    "lr_schedule": one_of("constant", "constant", "cosine",
                          comment="constant (paper) | cosine (decays to 0 at train.iterations)"),
    "lr_warmup": integer(0, 0, comment="iterations of linear warm-up"),
    "betas": unit_pair([0.9, 0.99]),
    "weight_decay": number(1.0e-3, 0),
    "soft_k": integer(5, 1, 313, comment="nearest bins in soft-encoding (paper 5; Zhang's code 10)"),
    "soft_sigma": number(5.0, 0.1),
    "drop_grey_images": boolean(True, comment="Zhang's code: weight 0 for images with |ab| <= 5 everywhere"),
    "precision": one_of("auto", "auto", "fp32", "bf16", comment="auto (bf16 on CUDA, fp32 on CPU) | fp32 | bf16"),
    "compile": boolean(False, comment="torch.compile the network (GPU runs; costs a minute of compiling)"),
    "seed": integer(0, 0),
    "workers": integer(None, 0, 64, null=True,
                       comment="data-loader processes; none: 0 on <= 4 CPU cores, else chosen from them"),
    "checkpoint_every": integer(200, 1),
    "log_every": integer(25, 1),
    "preview_every": integer(200, 1),
}


def check(t):
    if t["crop"] % INPUT_MULTIPLE:
        raise ParamsError(f"'train.crop' is {t['crop']}; expected a multiple of {INPUT_MULTIPLE} "
                          "(the network halves it three times)")
    if t["lr_warmup"] >= t["iterations"]:
        raise ParamsError(f"'train.lr_warmup' is {t['lr_warmup']}; expected fewer than train.iterations = "
                          f"{t['iterations']}")


def check_against_images(t, n_images, size, where="data/resized/train.npy"):
    """What only the data can tell: the crop fits the images and a batch is not larger than
    the split (``size``: their side, ``n_images``: how many; from params or the array itself)."""
    if t["crop"] > size:
        raise ParamsError(f"'train.crop' is {t['crop']}, larger than the images ({where}: {size} px)")
    if n_images is not None and t["batch_size"] > n_images:
        raise ParamsError(f"'train.batch_size' is {t['batch_size']}, more than the {n_images} train images "
                          f"({where}); expected at most {n_images}")


def check_memory(t, width, need_bytes, free_bytes, device):
    """Refuse a batch whose estimated training memory (an fp32 estimate, so on the safe side
    under bf16) exceeds what the device has free."""
    if need_bytes > free_bytes:
        fits = max(1, int(t["batch_size"] * free_bytes / need_bytes))
        raise ParamsError(f"'train.batch_size' is {t['batch_size']}: a training step at crop {t['crop']} and "
                          f"width {width} needs about {need_bytes / 2**30:.1f} GiB, and the {device} has "
                          f"{free_bytes / 2**30:.1f} GiB free; expected at most about {fits} "
                          "(or a smaller train.crop or model.width)")


def check_fits(t, width, device_name, train_npy):
    """At the start of every training: the crop and batch fit the train split, and a step fits
    in the device's memory (a batch of 100,000 would otherwise end in the OOM killer)."""
    import numpy as np

    from colorization.devices import pick_device
    from colorization.training import free_memory, memory_estimate

    n, size = np.load(train_npy, mmap_mode="r").shape[:2]
    check_against_images(t, n, size)
    device = pick_device(device_name)
    check_memory(t, width, memory_estimate(width, t["crop"], t["batch_size"], t["loss"]), free_memory(device),
                 device.type)
