"""Images made ready for OCR: upright by EXIF, grayscale on white (coloured text kept dark),
within a pixel budget, deskewed.

Skew is measured on a small copy by a projection profile: text lines give sharp peaks in the
row sums of ink exactly when they run horizontally, so the angle with the most contrasted row
profile is the page's skew (a coarse pass over ±8°, then a fine one; ~50 ms a page).
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageOps

# OCR time grows with pixels: larger images are scaled down to this (A4 at 300 dpi is 8.7 MP).
OCR_MAX_PIXELS = 12_000_000
_SKEW_SIDE = 900
_COARSE_RANGE = 8.0
_COARSE_STEP = 1.0
_FINE_STEP = 0.2
_MIN_SKEW = 0.4  # degrees; below this, rotating costs more than it helps
_WHITE = 255
_BLANK_LEVEL = 200


def upright(image: Image.Image) -> Image.Image:
    """The image turned as its EXIF orientation says (phone photos)."""
    return ImageOps.exif_transpose(image) or image


def to_gray(image: Image.Image) -> Image.Image:
    """8-bit grayscale, transparent areas white, 16-bit and bilevel images rescaled."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (_WHITE, _WHITE, _WHITE, _WHITE))
        return Image.alpha_composite(background, rgba).convert("L")
    if image.mode.startswith("I") or image.mode == "F":
        values = np.asarray(image, dtype=np.float64)
        top = float(values.max()) or 1.0
        return Image.fromarray((values * (_WHITE / top)).astype(np.uint8), mode="L")
    if image.mode in ("RGB", "CMYK", "YCbCr", "P"):
        # The darkest channel, not luminance: orange or light-blue text on white stays dark.
        channels = np.asarray(image.convert("RGB"), dtype=np.uint8)
        return Image.fromarray(channels.min(axis=2), mode="L")
    return image.convert("L")


def is_blank(gray: Image.Image) -> bool:
    """No pixel is darker than light grey: nothing for OCR to read."""
    low = np.asarray(gray, dtype=np.uint8).min(initial=_WHITE)
    return int(low) >= _BLANK_LEVEL


def fit_budget(image: Image.Image, max_pixels: int = OCR_MAX_PIXELS) -> Image.Image:
    width, height = image.size
    if width * height <= max_pixels:
        return image
    scale = (max_pixels / (width * height)) ** 0.5
    size = (max(int(width * scale), 1), max(int(height * scale), 1))
    return image.resize(size, Image.Resampling.LANCZOS)


def deskew(image: Image.Image) -> tuple[Image.Image, float]:
    """The image rotated so its text lines run horizontally, and the angle used (degrees)."""
    angle = skew_angle(image)
    if abs(angle) < _MIN_SKEW:
        return image, 0.0
    turned = image.rotate(angle, resample=Image.Resampling.BILINEAR, expand=True, fillcolor=_WHITE)
    return turned, angle


def skew_angle(image: Image.Image) -> float:
    """The counter-clockwise rotation (degrees) that makes text lines horizontal."""
    small = image.copy()
    small.thumbnail((_SKEW_SIDE, _SKEW_SIDE))
    pixels = np.asarray(small, dtype=np.uint8)
    threshold = min(int(pixels.mean()) - 30, 160)
    ink = Image.fromarray(((pixels < threshold) * _WHITE).astype(np.uint8), mode="L")
    coarse = _best(ink, np.arange(-_COARSE_RANGE, _COARSE_RANGE + 0.01, _COARSE_STEP))
    fine = np.arange(coarse - _COARSE_STEP, coarse + _COARSE_STEP + 0.01, _FINE_STEP)
    return round(_best(ink, fine), 2)


def _best(ink: Image.Image, angles: np.ndarray) -> float:
    scores = [(_profile_score(ink, float(angle)), float(angle)) for angle in angles]
    best_score, best_angle = max(scores)
    flat = next(score for score, angle in scores if abs(angle) < 1e-9) if 0 in angles else None
    if flat is not None and best_score <= flat * 1.0001:
        return 0.0
    return best_angle


def _profile_score(ink: Image.Image, angle: float) -> float:
    turned = ink.rotate(angle, resample=Image.Resampling.NEAREST, expand=False)
    rows = np.asarray(turned, dtype=np.float64).sum(axis=1)
    return float(np.square(np.diff(rows)).sum())
