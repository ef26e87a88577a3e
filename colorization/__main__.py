"""Command line: colourize your own images with a trained model.

    python -m colorization colorize old_photo.jpg more/*.png -o out/ --model models/colorizer.pt --T 0.38
"""

import argparse
import sys
from pathlib import Path

import torch
from PIL import Image


def colorize_command(args):
    from .inference import colorize_photo, load_colorizer

    device = torch.device("cuda" if torch.cuda.is_available() and not args.cpu else "cpu")
    try:
        model = load_colorizer(args.model, device)
    except FileNotFoundError as e:
        sys.exit(str(e))
    state = torch.load(args.model, map_location="cpu", weights_only=True)
    net_size = args.size or int(state.get("image_size", 256))
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    failed = 0
    for src in args.inputs:
        try:
            rgb = colorize_photo(model, src, args.T, net_size, device)
        except (OSError, ValueError) as e:
            print(f"skipped {src}: {e}", file=sys.stderr)
            failed += 1
            continue
        dst = out / (Path(src).stem + "_colorized.png")
        Image.fromarray(rgb).save(dst)
        print(f"{src} -> {dst}")
    return 1 if failed == len(args.inputs) else 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m colorization", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("colorize", help="colourize images of any size from their lightness")
    c.add_argument("inputs", nargs="+", help="image files (any format Pillow reads)")
    c.add_argument("-o", "--output", required=True, help="output folder (PNG files)")
    c.add_argument("--model", default="models/colorizer.pt", help="trained model (from `dvc repro train`)")
    c.add_argument("--T", type=float, default=0.38, help="annealed-mean temperature (0 = mode, 1 = mean)")
    c.add_argument("--size", type=int, default=None, help="short side the network sees (default: its training size)")
    c.add_argument("--cpu", action="store_true", help="stay on the CPU even when a GPU is present")
    args = parser.parse_args(argv)
    return colorize_command(args)


if __name__ == "__main__":
    sys.exit(main())
