"""Training batches from the resized uint8 arrays, in an order that is a pure
function of (seed, iteration).

Because batch membership, crop offsets and flips depend only on the seed and the
iteration number, an interrupted run that resumes at iteration i sees exactly
the batches an uninterrupted run would have seen, with nothing to save beyond
the iteration counter; and each DDP rank takes its own slice of every global
batch (what DistributedSampler does per epoch, made exact per iteration).
"""

from functools import lru_cache

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Sampler


@lru_cache(maxsize=2)
def epoch_permutation(n_images: int, seed: int, epoch: int) -> np.ndarray:
    """The seeded order of one epoch, drawn once: planning a batch then costs O(batch),
    not a permutation of all 1.28 M ImageNet images per step."""
    perm = np.random.default_rng([seed, epoch]).permutation(n_images)
    perm.setflags(write=False)
    return perm


def batch_plan(n_images, batch_size, iteration, seed, size, crop, flip_p, rank=0, world=1):
    """(index, top, left, flip) for this rank's share of the global batch ``iteration``.

    Images are drawn epoch by epoch from a seeded permutation (no image repeats
    within an epoch); crops and flips come from a per-iteration generator.
    """
    global_batch = batch_size * world
    start = iteration * global_batch
    idx = []
    while len(idx) < global_batch:
        epoch, offset = divmod(start + len(idx), n_images)
        perm = epoch_permutation(n_images, seed, epoch)
        idx.extend(perm[offset : offset + global_batch - len(idx)].tolist())
    rng = np.random.default_rng([seed, 1_000_003, iteration])
    tops = rng.integers(0, size - crop + 1, global_batch)
    lefts = rng.integers(0, size - crop + 1, global_batch)
    flips = rng.random(global_batch) < flip_p
    mine = slice(rank, global_batch, world)
    return list(zip(idx[mine], tops[mine].tolist(), lefts[mine].tolist(), flips[mine].tolist()))


class CropDataset(Dataset):
    """Crops of a (N, S, S, 3) uint8 array (memory-mapped), returned as (3, c, c) uint8."""

    def __init__(self, images, crop):
        self.images, self.crop = images, crop

    def __len__(self):
        return len(self.images)

    def __getitem__(self, spec):
        i, top, left, flip = spec
        patch = np.asarray(self.images[i, top : top + self.crop, left : left + self.crop])
        if flip:
            patch = patch[:, ::-1]
        return torch.from_numpy(np.array(patch)).permute(2, 0, 1)  # a copy: memmaps are read-only


class PlannedBatches(Sampler):
    def __init__(self, n_images, batch_size, start, stop, seed, size, crop, flip_p, rank=0, world=1):
        self.args = (n_images, batch_size)
        self.start, self.stop, self.seed, self.size, self.crop, self.flip_p = start, stop, seed, size, crop, flip_p
        self.rank, self.world = rank, world

    def __iter__(self):
        for it in range(self.start, self.stop):
            yield batch_plan(*self.args, it, self.seed, self.size, self.crop, self.flip_p, self.rank, self.world)

    def __len__(self):
        return self.stop - self.start


def training_loader(images, batch_size, start, stop, seed, crop, flip_p, workers, pin, rank=0, world=1):
    """Batches of uint8 crops for iterations [start, stop). Colour conversion and
    soft-encoding happen on the training device, so workers only slice memory."""
    sampler = PlannedBatches(len(images), batch_size, start, stop, seed, images.shape[1], crop, flip_p, rank, world)
    # its own generator: a DataLoader otherwise draws its workers' base seed from the global
    # torch RNG, which a resumed run restores first, so checkpoints would differ from an
    # uninterrupted run's (the batches do not: they are a function of seed and iteration)
    return DataLoader(CropDataset(images, crop), batch_sampler=sampler, num_workers=workers, pin_memory=pin,
                      persistent_workers=False, prefetch_factor=4 if workers else None,
                      generator=torch.Generator().manual_seed(seed + start))
