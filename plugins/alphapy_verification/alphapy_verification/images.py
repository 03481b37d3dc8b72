"""Checking an uploaded screenshot: what it really is, a clean copy for the model, its hash.

A member's upload is untrusted input. Its file name and the content type Discord reports
are the member's to choose, so neither is believed: the bytes must start like a PNG,
JPEG or WebP file *and* Pillow must decode them completely as that format (a truncated,
corrupt or disguised file fails here). Pixel dimensions are bounded before decoding, so
a small file that unpacks into gigabytes (a decompression bomb) is refused cheaply.

The model never sees the member's file itself but a re-encoded copy, at most
``MAX_SIDE_FOR_MODEL`` pixels on its long side, made from the pixels alone: no metadata
of any kind (EXIF with a phone photo's GPS position, XMP, ICC profiles, JPEG comments and
APP segments, PNG text, time and physical-size chunks, WebP EXIF/XMP), no trailing bytes,
no second file hidden behind the image. Pillow carries some of a decoded image's ``info``
into what it saves (a JPEG comment, a PNG's ICC profile), so the copy starts from a new
image that has no ``info`` at all rather than from a list of keys to delete.

For reuse detection the plugin keeps a 256-bit *difference hash* (dHash) of each
screenshot and nothing else: the greyscale image shrunk to 17 × 16 pixels, one bit per
pair of neighbours (is the left one brighter?). Re-encoding, rescaling or a light
recompression changes a few bits; a different receipt changes many.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # Pillow is imported by the functions that decode: not at start, for every bot
    from PIL import Image

FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}
MAX_PIXELS = 40_000_000  # a 40-megapixel screenshot is already absurd
MAX_SIDE_FOR_MODEL = 2048  # vision models scale larger images down anyway
HASH_SIZE = 16  # 16 x 16 = 256 bits


class NotAcceptable(Exception):
    """The upload is not a screenshot we take; ``str()`` is the sentence for the member."""


@dataclass(frozen=True)
class Screenshot:
    """A checked screenshot: its real format, size, hash, and the copy sent to the model."""

    format: str  # PNG, JPEG or WEBP
    width: int
    height: int
    dhash: int
    for_model: bytes


def sniff(data: bytes) -> str | None:
    """The format the magic bytes announce (PNG, JPEG, WEBP), or None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def describe_limit(max_bytes: int) -> str:
    return f"{max_bytes / (1024 * 1024):g} MB"


def check_screenshot(data: bytes, max_bytes: int) -> Screenshot:
    """Decode and vet ``data``; raises :class:`NotAcceptable` with the reason for the member.

    CPU-bound (decoding, resizing): call it in a worker thread.
    """
    if len(data) > max_bytes:
        raise NotAcceptable(f"That file is too large: screenshots can be up to {describe_limit(max_bytes)}.")
    kind = sniff(data)
    if kind is None:
        raise NotAcceptable("That file is not a screenshot I can read: please send a PNG, JPEG or WebP image.")
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data), formats=[kind]) as image:
            width, height = image.size
            if width < 1 or height < 1 or width * height > MAX_PIXELS:
                raise NotAcceptable("That image is too large in pixels: please send an ordinary screenshot.")
            image.load()  # decode everything: a corrupt or truncated file fails here
            flat = _flatten(image)
            return Screenshot(kind, width, height, difference_hash(flat), _copy_for_model(flat, kind))
    except NotAcceptable:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError,
            EOFError) as exc:
        raise NotAcceptable(
            "That image could not be read (it may be damaged): please send a PNG, JPEG or WebP screenshot."
        ) from exc


def _flatten(image: Image.Image) -> Image.Image:
    """RGB, with any transparency laid on white (as a viewer would show it)."""
    from PIL import Image

    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB")


def difference_hash(image: Image.Image, size: int = HASH_SIZE) -> int:
    """A ``size * size``-bit dHash: neighbours compared on a ``(size + 1) x size`` greyscale."""
    from PIL import Image

    small = image.convert("L").resize((size + 1, size), Image.Resampling.LANCZOS)
    pixels = small.tobytes()
    value = 0
    for row in range(size):
        offset = row * (size + 1)
        for column in range(size):
            value = (value << 1) | (pixels[offset + column] > pixels[offset + column + 1])
    return value


def hamming(a: int, b: int) -> int:
    return (a ^ b).bit_count()


def _pixels_only(image: Image.Image) -> Image.Image:
    """The same pixels in a new image: no ``info``, so nothing of the member's file to save."""
    from PIL import Image

    return Image.frombytes(image.mode, image.size, image.tobytes())


def _copy_for_model(image: Image.Image, kind: str) -> bytes:
    from PIL import Image

    copy = image
    if max(image.size) > MAX_SIDE_FOR_MODEL:
        copy = image.copy()
        copy.thumbnail((MAX_SIDE_FOR_MODEL, MAX_SIDE_FOR_MODEL), Image.Resampling.BICUBIC, reducing_gap=2.0)
    copy = _pixels_only(copy)
    out = io.BytesIO()
    if kind == "PNG":  # screenshots: lossless keeps small print legible; fast compression
        copy.save(out, format="PNG", compress_level=1)
    else:  # photos: JPEG keeps the request small
        copy.save(out, format="JPEG", quality=90)
    return out.getvalue()
