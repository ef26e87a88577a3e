"""Command line: colourize your own images with a trained model (or Zhang et al.'s).

    python -m colorization colorize old_photo.jpg more/*.png -o out/ --model models/colorizer.pt --T 0.38

Each photo is decoded as the pipeline decodes its data (16-bit, alpha, palette,
CMYK, EXIF rotation); one that cannot be read is listed and the others go on. The
exit code is the number of photos that failed (0: all colourized).
"""

import argparse
import math
import sys
from pathlib import Path

import torch

from .decode import ZHANG_T

MAX_EXIT = 125  # exit codes above this mean "killed by a signal" to a shell


def _temperature(text):
    T = float(text)
    if not math.isfinite(T) or not 0 <= T <= 10:
        raise argparse.ArgumentTypeError(f"--T must be a number in [0, 10] (0 = mode, 1 = mean), got {text}")
    return T


def _size(text):
    n = int(text)
    if not 8 <= n <= 4096:
        raise argparse.ArgumentTypeError(f"--size must be an integer in [8, 4096] pixels, got {text}")
    return n


def _megapixels(text):
    mp = float(text)
    if not math.isfinite(mp) or mp <= 0:
        raise argparse.ArgumentTypeError(f"--max-megapixels must be a number > 0, got {text}")
    return mp


def output_names(inputs, out_dir) -> dict:
    """input path -> its output path: ``<stem>_colorized.png``, or ``<name>_colorized.png``
    where two inputs share a stem, with a counter if even that repeats; never an input."""
    stems = {}
    for src in inputs:
        stems.setdefault(Path(src).stem, []).append(src)
    taken = {Path(s).resolve() for s in inputs}
    names = {}
    for src in inputs:
        p = Path(src)
        base = p.stem if len(stems[p.stem]) == 1 else p.name.replace(".", "_")
        dst, n = out_dir / f"{base}_colorized.png", 1
        while dst.resolve() in taken:
            n += 1
            dst = out_dir / f"{base}_colorized_{n}.png"
        taken.add(dst.resolve())
        names[src] = dst
    return names


def colorize_command(args):
    from PIL import Image

    from .images import UnreadableImage, frame_count
    from .inference import ModelFileError, colorize_photo, load_colorizer

    device = torch.device("cuda" if torch.cuda.is_available() and not args.cpu else "cpu")
    try:
        model = load_colorizer(args.model, device)
        saved = torch.load(args.model, map_location="cpu", weights_only=True)
    except (FileNotFoundError, ModelFileError) as e:
        sys.exit(f"colorize: {e}")
    trained_at = int(saved["image_size"]) if isinstance(saved, dict) and "image_size" in saved else 256
    net_size = args.size or trained_at
    out = Path(args.output)
    if out.exists() and not out.is_dir():
        sys.exit(f"colorize: -o {out} is a file; give a folder for the colourized PNGs")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        sys.exit(f"colorize: cannot create the output folder {out}: {e.strerror}")
    failed = 0
    for src, dst in output_names(args.inputs, out).items():
        try:
            if frame_count(src) > 1:
                print(f"note: {src} is animated ({frame_count(src)} frames); colourizing its first frame",
                      file=sys.stderr)
            rgb = colorize_photo(model, src, args.T, net_size, device, int(args.max_megapixels * 1e6))
            tmp = dst.with_name(dst.name + ".tmp")
            Image.fromarray(rgb).save(tmp, format="PNG")
            tmp.replace(dst)
        except UnreadableImage as e:
            print(f"skipped {src}: {e}", file=sys.stderr)
            failed += 1
            continue
        except (OSError, MemoryError, RuntimeError) as e:
            print(f"skipped {src}: {type(e).__name__}: {e}", file=sys.stderr)
            failed += 1
            continue
        print(f"{src} -> {dst}")
    if failed:
        print(f"{failed} of {len(args.inputs)} photos failed", file=sys.stderr)
    return min(failed, MAX_EXIT)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m colorization", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("colorize", help="colourize images of any size from their lightness")
    c.add_argument("inputs", nargs="+", help="image files (any format Pillow reads)")
    c.add_argument("-o", "--output", required=True, help="output folder (PNG files)")
    c.add_argument("--model", default="models/colorizer.pt",
                   help="a model from `dvc repro train`, or Zhang et al.'s colorization_release_v2-9b330a0b.pth")
    c.add_argument("--T", type=_temperature, default=ZHANG_T,
                   help="annealed-mean temperature in [0, 10] (0 = mode, 1 = mean)")
    c.add_argument("--size", type=_size, default=None, help="short side the network sees (default: its training size)")
    c.add_argument("--max-megapixels", type=_megapixels, default=100.0,
                   help="refuse photos larger than this (decompression bombs); default 100")
    c.add_argument("--cpu", action="store_true", help="stay on the CPU even when a GPU is present")
    args = parser.parse_args(argv)
    return colorize_command(args)


if __name__ == "__main__":
    sys.exit(main())
