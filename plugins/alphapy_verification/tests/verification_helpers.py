"""Test helpers of the verification plugin: screenshots drawn with Pillow, model answers.

A module of its own (not conftest.py) so that test files can import it by a name no
other plugin's tests use.
"""

from __future__ import annotations

import io
import random
from typing import Any

from PIL import Image, ImageDraw


# --- screenshots ----------------------------------------------------------------------------
def receipt(seed: int, size: tuple[int, int] = (540, 960), fmt: str = "PNG", *, mode: str = "RGB") -> bytes:
    """A receipt-like screenshot: a coloured header and lines of text and bars."""
    rng = random.Random(seed)
    image = Image.new(mode, size, "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, size[0], size[1] // 9), fill=(rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    y = size[1] // 7
    while y < size[1] - 40:
        width = rng.randrange(size[0] // 5, size[0] * 4 // 5)
        draw.rectangle((30, y, 30 + width, y + 16), fill=(40, 40, 40))
        draw.text((40 + width, y), f"{rng.randrange(10**6)}", fill=(0, 0, 0))
        y += 36 + rng.randrange(16)
    out = io.BytesIO()
    image.save(out, format=fmt, **({"quality": 80} if fmt == "JPEG" else {}))
    return out.getvalue()


def noise_png(side: int, seed: int = 0) -> bytes:
    """An incompressible PNG (random pixels): about 3 bytes per pixel."""
    rng = random.Random(seed)
    image = Image.frombytes("RGB", (side, side), rng.randbytes(side * side * 3))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def answer(can_verify: bool, needs_manual_review: bool,
           reason: str = "A paid receipt for the product.") -> dict[str, Any]:
    return {"can_verify": can_verify, "needs_manual_review": needs_manual_review, "reason": reason}


# --- reading what a file really carries ------------------------------------------------------------
def jpeg_segments(data: bytes) -> list[tuple[int, bytes]]:
    """(marker, body) of every segment before the image data, read from the bytes themselves."""
    assert data[:2] == b"\xff\xd8", "not a JPEG"
    segments, at = [], 2
    while at < len(data):
        assert data[at] == 0xFF, f"no marker at {at}"
        marker = data[at + 1]
        length = int.from_bytes(data[at + 2:at + 4], "big")
        segments.append((marker, data[at + 4:at + 2 + length]))
        if marker == 0xDA:  # start of scan: entropy-coded data follows
            break
        at += 2 + length
    return segments


def png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """(type, body) of every chunk, read from the bytes themselves."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    chunks, at = [], 8
    while at < len(data):
        length = int.from_bytes(data[at:at + 4], "big")
        chunks.append((data[at + 4:at + 8], data[at + 8:at + 8 + length]))
        at += 12 + length
    return chunks


def webp_chunks(data: bytes) -> list[bytes]:
    """The four-letter types of a WebP file's RIFF chunks."""
    assert data[:4] == b"RIFF" and data[8:12] == b"WEBP", "not a WebP"
    kinds, at = [], 12
    while at + 8 <= len(data):
        kinds.append(data[at:at + 4])
        size = int.from_bytes(data[at + 4:at + 8], "little")
        at += 8 + size + (size & 1)  # chunks are padded to an even length
    return kinds


def metadata_blocks(data: bytes) -> list[str]:
    """Every block of a JPEG, PNG or WebP file that is not pixels or their bare layout."""
    if data[:2] == b"\xff\xd8":
        found = []
        for marker, body in jpeg_segments(data):
            if marker == 0xFE:
                found.append("COM")
            elif marker == 0xE0 and not body.startswith(b"JFIF\x00"):
                found.append("APP0 (not JFIF)")
            elif 0xE1 <= marker <= 0xEF:
                found.append(f"APP{marker - 0xE0} {body[:12]!r}")
        return found
    if data[:4] == b"\x89PNG":
        return [kind.decode() for kind, _ in png_chunks(data) if kind not in (b"IHDR", b"PLTE", b"IDAT", b"IEND")]
    return [kind.decode() for kind in webp_chunks(data) if kind not in (b"VP8 ", b"VP8L", b"VP8X", b"ALPH")]
