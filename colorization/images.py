"""Decoding any image a user or ImageNet throws at us into a fixed-size RGB array.

ImageNet alone holds CMYK JPEGs, a PNG named .JPEG, greyscale photos and huge
images; user folders add 16-bit PNGs, palette GIFs with transparency, alpha
channels, EXIF-rotated phone photos, truncated and zero-byte files. Every
failure raises ``UnreadableImage`` with a reason, so the caller can skip and
list the file instead of crashing a long stage.
"""

import os
import warnings

import numpy as np
from PIL import Image, ImageOps

RESIZE_MODES = ("squash", "center_crop")
# Above this many pixels an image is treated as a decompression bomb (Pillow's own
# default warns at 89 M and fails at twice that; the pipeline fails at the warning level).
MAX_PIXELS = Image.MAX_IMAGE_PIXELS or 89_478_485


class UnreadableImage(Exception):
    """An input that cannot become an RGB image; the message is the reason."""


def _to_rgb(im: Image.Image) -> Image.Image:
    if im.mode in ("I;16", "I;16L", "I;16B", "I;16N", "I"):
        arr = np.asarray(im, dtype=np.float64)
        top = 65535.0 if arr.max() > 255 else 255.0  # 16-bit data, or 8-bit stored wide
        im = Image.fromarray(np.clip(arr / top * 255.0 + 0.5, 0, 255).astype(np.uint8))
    elif im.mode == "F":
        arr = np.asarray(im, dtype=np.float64)
        im = Image.fromarray(np.clip(arr * 255.0 + 0.5, 0, 255).astype(np.uint8))
    if im.mode == "P":
        im = im.convert("RGBA") if "transparency" in im.info else im.convert("RGB")
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "RGBa"):
        # Composite transparent regions on white, as a viewer shows them.
        im = im.convert("RGBA")
        background = Image.new("RGBA", im.size, (255, 255, 255, 255))
        im = Image.alpha_composite(background, im)
    return im.convert("RGB")  # L, 1, CMYK, YCbCr, LAB, RGBA -> RGB


def decode_rgb(path, max_pixels: int | None = None, draft_size: int | None = None) -> Image.Image:
    """Decode ``path`` into an RGB Pillow image at its own size (EXIF rotation applied,
    16-bit and float data scaled, transparency composited on white). Images over
    ``max_pixels`` are refused from their header, before any pixel is decoded.

    ``draft_size`` lets libjpeg decode a plain JPEG at 1/2, 1/4 or 1/8 scale when that
    still leaves at least ``draft_size`` pixels on each side (much faster for thumbnails).
    Every failure is an ``UnreadableImage`` with the reason.
    """
    max_pixels = max_pixels or MAX_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # our own limit decides
            with Image.open(path) as im:
                if im.width * im.height > max_pixels:
                    raise UnreadableImage(f"too large: {im.width}x{im.height} pixels "
                                          f"(limit {max_pixels / 1e6:.0f} MP; a decompression bomb?)")
                if draft_size and im.format == "JPEG" and im.mode in ("RGB", "L", "CMYK"):
                    if im.getexif().get(0x0112, 1) == 1:  # unrotated: draft sizes are in stored pixels
                        im.draft(im.mode, (draft_size, draft_size))
                im.load()
                im = ImageOps.exif_transpose(im)
                im = _to_rgb(im)
    except UnreadableImage:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise UnreadableImage(f"too large, a decompression bomb? {e}") from None
    except MemoryError:
        raise UnreadableImage("not enough memory to decode it") from None
    except (OSError, SyntaxError, ValueError, EOFError, Image.UnidentifiedImageError) as e:
        reason = "empty file" if _is_empty(path) else f"{type(e).__name__}: {e}"
        raise UnreadableImage(reason) from None
    if im.width < 1 or im.height < 1:
        raise UnreadableImage("image has no pixels")
    return im


def frame_count(path) -> int:
    """Frames in an animated image (GIF, APNG, WebP); 1 for a still image. Pillow's
    DecompressionBombWarning is silenced: the decoder applies the project's own size limit."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as im:
                return int(getattr(im, "n_frames", 1))
    except Exception:
        return 1


def load_rgb(path, size: int, mode: str = "squash") -> np.ndarray:
    """Decode ``path`` and return a (size, size, 3) uint8 RGB array.

    ``squash`` resizes the whole image to a square (the paper, after Zhang, does
    this); ``center_crop`` keeps the aspect ratio and crops the long side.
    """
    if mode not in RESIZE_MODES:
        raise ValueError(f"resize mode must be one of {RESIZE_MODES}, got {mode!r}")
    im = decode_rgb(path, draft_size=size * 2)
    if mode == "center_crop":
        side = min(im.size)
        left, top = (im.width - side) // 2, (im.height - side) // 2
        im = im.crop((left, top, left + side, top + side))
    im = im.resize((size, size), Image.Resampling.BICUBIC, reducing_gap=3.0)
    return np.asarray(im, dtype=np.uint8)


def _is_empty(path) -> bool:
    try:
        return os.path.getsize(path) == 0
    except OSError:
        return False
