"""Which device a network runs on, and the process group of a ``torchrun`` launch."""

import os

import torch
import torch.distributed as dist


def pick_device(name="auto") -> torch.device:
    """``auto`` takes CUDA when a GPU is visible; ``cuda`` without one is an error that says so."""
    if name == "cuda" and not torch.cuda.is_available():
        raise SystemExit("runtime.device is 'cuda' but no CUDA GPU is visible; use 'auto' or 'cpu'")
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    return torch.device(name)


def setup_distributed(device_name="auto") -> tuple:
    """(rank, world size, device): torchrun sets the environment, plain python is rank 0 of 1.
    NCCL on GPUs, gloo on the CPU."""
    world = int(os.environ.get("WORLD_SIZE", 1))
    if world == 1:
        return 0, 1, pick_device(device_name)
    rank, local = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", 0))
    if pick_device(device_name).type == "cuda":
        torch.cuda.set_device(local)
        dist.init_process_group("nccl")
        return rank, world, torch.device("cuda", local)
    dist.init_process_group("gloo")
    return rank, world, torch.device("cpu")


def teardown_distributed(world: int):
    """Every rank arrives before any tears down: a gloo peer that closes its connections while
    rank 0 is still saving or logging can abort rank 0 at exit."""
    if world > 1 and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
