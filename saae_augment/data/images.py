"""Decoding images the way OCR data really comes, and bringing them to one size and mode.

The size policy, used by every command: **keep the aspect ratio, scale to fit inside H×W,
centre, and pad with the median colour of the image's own border** (so padding continues the
background instead of drawing a black frame around a white plate). Shrinking uses area
averaging, enlarging bilinear interpolation.

Mode policy: everything becomes 8-bit grey ("L") or RGB as asked. Palette images are expanded;
transparent pixels are laid over white, as image viewers show them; CMYK and YCbCr go through
RGB; 16-bit and 32-bit integer images are scaled from the 16-bit range (what 16-bit PNG and TIFF
scans hold); float images in [0, 1] are scaled to [0, 255]. Anything else is reported.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

DEFAULT_MAX_PIXELS = 50_000_000
MIN_SIDE = 4  # fewer pixels than this across cannot hold a character: a stray icon or a broken crop
_DIRECT = {"L", "RGB"}
_VIA_RGB = {"1", "CMYK", "YCbCr", "P"}
_ALPHA = {"LA", "La", "RGBA", "RGBa", "PA"}
_INTEGER_WIDE = {"I", "I;16", "I;16B", "I;16L", "I;16N"}


class ImageProblem(Exception):
    """A sample's image cannot be used; `kind` is one of the report's problem kinds."""

    def __init__(self, kind: str, detail: str):
        super().__init__(detail)
        self.kind = kind
        self.detail = detail


def open_image(source: Path | bytes, max_pixels: int = DEFAULT_MAX_PIXELS) -> Image.Image:
    """Open and fully decode one image, refusing oversized ones before their pixels are read."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(source) if isinstance(source, bytes) else source)
            w, h = img.size
            if w * h > max_pixels:
                raise ImageProblem("too-large", f"image is {w}x{h} pixels, over the limit of {max_pixels:,}")
            img.load()
            # a phone photo stores "rotate me" in EXIF; OpenCV and PaddleOCR honour it, so do we
            ImageOps.exif_transpose(img, in_place=True)
    except Image.DecompressionBombError as exc:
        raise ImageProblem("too-large", f"image refused as a decompression bomb ({exc})") from None
    except UnidentifiedImageError:
        # only now ask whether the file is empty: a stat per image would tax every good load
        if (len(source) if isinstance(source, bytes) else Path(source).stat().st_size) == 0:
            raise ImageProblem("unreadable-image", "empty file (0 bytes)") from None
        raise ImageProblem("unreadable-image", "not an image file (no known image format)") from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageProblem("unreadable-image", f"truncated or corrupt image ({exc})") from None
    return img


def check_size(width: int, height: int) -> None:
    """Refuse an image too small to hold a character, before it is resized into noise."""
    if min(width, height) < MIN_SIDE:
        raise ImageProblem(
            "too-small", f"image is {width}x{height} pixels; at least {MIN_SIDE}x{MIN_SIDE} can hold a character"
        )


def to_array(img: Image.Image, mode: str = "L") -> tuple[np.ndarray, str | None]:
    """The image as uint8 H×W (grey) or H×W×3 (RGB), and a note such as "CMYK->L" if converted."""
    if mode not in ("L", "RGB"):
        raise ValueError(f"mode must be 'L' or 'RGB', not {mode!r}")
    src = img.mode
    note = None if src == mode else f"{src}->{mode}"
    if src in _DIRECT:
        out = img.convert(mode) if src != mode else img
    elif src in _VIA_RGB:
        if src == "P" and "transparency" in img.info:
            return to_array(img.convert("RGBA"), mode)[0], note
        out = img.convert("RGB").convert(mode)
    elif src in _ALPHA:
        rgba = img.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        out = Image.alpha_composite(white, rgba).convert(mode)
    elif src in _INTEGER_WIDE or src == "F":
        arr = np.asarray(img).astype(np.float64)
        if src == "F":
            arr = arr * 255.0 if arr.size and np.nanmax(arr) <= 1.0 else arr
        else:
            arr = arr * (255.0 / 65535.0)
        grey = np.clip(np.nan_to_num(arr), 0, 255).round().astype(np.uint8)
        out = Image.fromarray(grey, "L").convert(mode)
    else:
        raise ImageProblem("unsupported-mode", f"image mode {src!r} cannot be converted to {mode}")
    return np.asarray(out, dtype=np.uint8).copy(), note


def border_median(arr: np.ndarray) -> np.ndarray | int:
    """The median colour of the outermost pixel ring: the background the padding continues."""
    ring = np.concatenate([arr[0], arr[-1], arr[:, 0], arr[:, -1]], axis=0)
    med = np.median(ring, axis=0)
    return np.round(med).astype(np.uint8) if arr.ndim == 3 else int(round(float(med)))


def fit(arr: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Scale to fit inside `size` (H, W) keeping aspect, centre, pad with the border median."""
    H, W = size
    h, w = arr.shape[:2]
    if (h, w) == (H, W):
        return arr
    scale = min(H / h, W / w)
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    resized = cv2.resize(arr, (nw, nh), interpolation=interp)
    if resized.ndim < arr.ndim:
        resized = resized[..., None]
    fill = border_median(arr)
    out = np.empty((H, W) + arr.shape[2:], dtype=np.uint8)
    out[...] = fill
    top, left = (H - nh) // 2, (W - nw) // 2
    out[top : top + nh, left : left + nw] = resized
    return out
