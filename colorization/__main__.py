"""Command line of the project.

    python -m colorization colorize old_photo.jpg family/ -o out/ [--recursive]
    python -m colorization results                     # Table 2 of the finished run, readable
    python -m colorization verify                      # this run against the committed reference
    python -m colorization data imagenette imagenette2-320.tgz data/imagenette
    python -m colorization study serve                 # the perceptual study on the local network

`colorize`: each photo is decoded as the pipeline decodes its data (16-bit, alpha,
palette, CMYK, EXIF rotation); one that cannot be read is listed and the others go on.
The exit code is the number of photos that failed (0: all colourized), 130 on Ctrl-C.
"""

import argparse
import math
import sys
from pathlib import Path

from .temperature import ZHANG_T

MAX_EXIT = 125  # exit codes above this mean "killed by a signal" to a shell
DEFAULT_MODEL = "models/colorizer.pt"


def _number(flag, text, kind=float):
    try:
        return kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{flag} got {text!r}: not a number") from None


def _temperature(text):
    T = _number("--T", text)
    if not math.isfinite(T) or not 0 <= T <= 10:
        raise argparse.ArgumentTypeError(f"--T must be a number in [0, 10] (0 = mode, 1 = mean), got {text}")
    return T


def _size(text):
    n = _number("--size", text, int)
    if not 8 <= n <= 4096:
        raise argparse.ArgumentTypeError(f"--size must be an integer in [8, 4096] pixels, got {text}")
    return n


def _megapixels(text):
    mp = _number("--max-megapixels", text)
    if not math.isfinite(mp) or mp <= 0:
        raise argparse.ArgumentTypeError(f"--max-megapixels must be a number > 0, got {text}")
    return mp


def colorize_command(args):
    import torch
    from PIL import Image

    from .images import UnreadableImage, frame_count
    from .inference import ModelFileError, load_colorizer
    from .photos import colorize_photo, expand_inputs, input_problem, output_names

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
    inputs = expand_inputs(args.inputs, args.recursive)
    failed, good = [], []
    for src in inputs:
        problem = input_problem(src)
        if problem:
            failed.append((src, problem))
        else:
            good.append(src)
    for src, why in failed:
        print(f"skipped {src}: {why}", file=sys.stderr)
    for src, dst in output_names({src: inputs[src] for src in good}, out).items():
        tmp = dst.with_name(f".{dst.name}.tmp")
        try:
            dst.parent.mkdir(parents=True, exist_ok=True)
            frames = frame_count(src)
            if frames > 1:
                print(f"note: {src} is animated ({frames} frames); colourizing its first frame", file=sys.stderr)
            rgb = colorize_photo(model, src, args.T, net_size, device, int(args.max_megapixels * 1e6))
            Image.fromarray(rgb).save(tmp, format="PNG")
            tmp.replace(dst)
        except UnreadableImage as e:
            failed.append((src, str(e)))
            print(f"skipped {src}: {e}", file=sys.stderr)
            continue
        except (OSError, MemoryError, RuntimeError) as e:
            failed.append((src, f"{type(e).__name__}: {e}"))
            print(f"skipped {src}: {type(e).__name__}: {e}", file=sys.stderr)
            continue
        finally:
            tmp.unlink(missing_ok=True)
        print(f"{src} -> {dst}")
    if not inputs:
        print("no input files (a folder of subfolders needs --recursive)", file=sys.stderr)
    if failed:
        print(f"{len(failed)} of {len(inputs)} photos failed", file=sys.stderr)
    return min(len(failed), MAX_EXIT)


class _DefaultsWhereMeaningful(argparse.ArgumentDefaultsHelpFormatter):
    """``(default: X)`` only where there is a default to tell: not for required options,
    positionals, flags or options whose help already says what happens without them."""

    def _get_help_string(self, action):
        if action.required or action.default in (None, False, argparse.SUPPRESS) or not action.option_strings:
            return action.help
        return super()._get_help_string(action)


def parser():
    root = argparse.ArgumentParser(prog="python -m colorization", description=__doc__,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = root.add_subparsers(dest="command", required=True)
    defaults = _DefaultsWhereMeaningful
    c = sub.add_parser("colorize", help="colourize images of any size from their lightness", formatter_class=defaults,
                       description="Colourize photos from their lightness. The default model is the one `make repro` "
                                   "trains on the synthetic produce scenes: for real photos use a model trained by the "
                                   "imagenette or paper preset, or Zhang et al.'s released weights.")
    c.add_argument("inputs", nargs="+", help="image files (any format Pillow reads) or folders of them")
    c.add_argument("-o", "--output", required=True, help="output folder (PNG files)")
    c.add_argument("--model", default=DEFAULT_MODEL,
                   help="a model from `dvc repro train`, or Zhang et al.'s colorization_release_v2-9b330a0b.pth")
    c.add_argument("--T", type=_temperature, default=ZHANG_T,
                   help="annealed-mean temperature in [0, 10] (0 = mode, 1 = mean)")
    c.add_argument("--size", type=_size, default=None, help="short side the network sees (default: the size the "
                                                            "model was trained at)")
    c.add_argument("--max-megapixels", type=_megapixels, default=100.0,
                   help="refuse photos larger than this (decompression bombs)")
    c.add_argument("-r", "--recursive", action="store_true",
                   help="take the images in subfolders of a folder too, each into the same subfolder of the output")
    c.add_argument("--cpu", action="store_true", help="stay on the CPU even when a GPU is present")
    v = sub.add_parser("verify", formatter_class=defaults,
                       help="walk this run's stages against the committed reference, then its metrics against the "
                            "reference's seed spread")
    v.add_argument("--metrics", default="reports/metrics.json", help="this run's metrics")
    v.add_argument("--params", default="params.yaml", help="this run's params")
    v.add_argument("--reference-dir", help="the committed reference (default: reports/reference/verify, or "
                                           "reports/reference/imagenette/verify for the imagenette preset)")
    v.add_argument("--environment", action="store_true",
                   help="before any run: only the replays on the committed inputs (can this environment reproduce?)")
    v.add_argument("--write-reference", metavar="DIR", nargs="?", const="",
                   help="write this finished run's stage signatures and replay inputs as the reference (to DIR, or "
                        "where verify looks for this data source's)")
    r = sub.add_parser("results", formatter_class=defaults,
                       help="Table 2 of the finished run as a person reads it, its findings, and whether the tracked "
                            "outputs still match the committed reference")
    r.add_argument("--metrics", default="reports/metrics.json", help="the run's metrics")
    f = sub.add_parser("fsck", help="hash the workspace's artefacts and DVC's cache; name each corrupt file and how "
                                    "to recover it")
    f.add_argument("--lock-only", action="store_true", help="only check that dvc.lock is whole (before `dvc repro`)")
    f.add_argument("--keep-lock", action="store_true", help="keep a copy of a whole dvc.lock (after `dvc repro`)")
    d = sub.add_parser("data", help="lay out a downloaded dataset for a preset")
    dsub = d.add_subparsers(dest="dataset", required=True)
    i = dsub.add_parser("imagenette", formatter_class=defaults,
                        help="Imagenette (fast.ai) as the imagenet source reads it: DEST/{train,val}/<wnid>/*.JPEG")
    i.add_argument("source", help="imagenette2-320.tgz (or imagenette2.tgz, imagenette2-160.tgz), or its unpacked "
                                  "folder")
    i.add_argument("dest", help="the folder to create, e.g. data/imagenette (the preset's data.root)")
    i.add_argument("--link", action="store_true", help="from a folder: symbolic links instead of copies")
    from .study_server import add_arguments

    add_arguments(sub.add_parser("study", help="the perceptual study"))
    return root


def fsck_command(args) -> int:
    from .fsck import fsck, guard_lock, keep_good_lock

    if args.keep_lock:
        keep_good_lock()
        return 0
    refusal = guard_lock()
    if refusal or args.lock_only:
        if refusal:
            print(refusal, file=sys.stderr)
        return 1 if refusal else 0
    problems = fsck()
    for line in problems:
        print(line)
    print(f"fsck: {len(problems)} problem(s)" if problems else "fsck: every artefact and cache object is intact")
    return 1 if problems else 0


def main(argv=None):
    args = parser().parse_args(argv)
    try:
        if args.command == "verify" and args.write_reference is not None:
            from .reference import write_reference

            print(f"wrote the reference of this run to {write_reference(args.write_reference, args.params)}")
            return 0
        if args.command == "verify":
            from .verify import verify_command

            return verify_command(args)
        if args.command == "results":
            from .results import results_command

            return results_command(args)
        if args.command == "fsck":
            return fsck_command(args)
        if args.command == "data":
            from .datasets import imagenette_command

            return imagenette_command(args)
        if args.command == "study":
            from .study_server import study_command

            return study_command(args)
        return colorize_command(args)
    except KeyboardInterrupt:
        print(f"\n{args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
