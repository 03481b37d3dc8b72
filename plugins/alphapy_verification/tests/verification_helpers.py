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
