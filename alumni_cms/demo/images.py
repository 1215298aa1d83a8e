"""Cover images for the demo content, drawn with Pillow.

Each module has its palette and motif; everything random is seeded by the item's key, so one
key always gives the same picture (and the same bytes with a given Pillow).
"""

import io
import math
import random
from functools import lru_cache

from PIL import Image, ImageDraw

# WeChat shows a 2.35:1 cover in the feed and crops the middle; 900x500 keeps the motif inside.
COVER_SIZE = (900, 500)
PHOTO_SIZE = (800, 600)

PALETTES = {
    "news": [("#1e3c72", "#2a9d8f"), ("#264653", "#3a86ff"), ("#14213d", "#4895ef")],
    "activity": [("#e76f51", "#f4a261"), ("#d62828", "#f77f00"), ("#ef476f", "#ffd166")],
    "profile": [("#5e548e", "#be95c4"), ("#6d597a", "#e56b6f"), ("#3d348b", "#9f86c0")],
    "donation": [("#2d6a4f", "#d4a373"), ("#40916c", "#e9c46a"), ("#1b4332", "#b7e4c7")],
    "photo": [("#577590", "#90be6d"), ("#4d908e", "#f9c74f")],
}


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    value = hex_colour.lstrip("#")
    return tuple(int(value[i : i + 2], 16) for i in (0, 2, 4))


def _gradient(size, start, end, angle: float) -> Image.Image:
    """A linear gradient from `start` to `end` at `angle` degrees, without a per-pixel loop."""
    width, height = size
    # Rotate Pillow's 256x256 ramp, keep the middle (inside the rotated square's inscribed
    # circle, so no black corners) and scale it up: cheap, and a gradient loses nothing.
    ramp = Image.linear_gradient("L").rotate(angle, resample=Image.Resampling.BILINEAR)
    scale = 254 / math.hypot(width, height)
    w, h = int(width * scale), int(height * scale)
    left, top = (256 - w) // 2, (256 - h) // 2
    mask = ramp.crop((left, top, left + w, top + h)).resize(size, Image.Resampling.BILINEAR)
    channels = [
        mask.point([a + (b - a) * v // 255 for v in range(256)])
        for a, b in zip(start, end, strict=True)
    ]
    return Image.merge("RGB", channels)


def _motif(draw: ImageDraw.ImageDraw, kind: str, rng: random.Random, size) -> None:
    width, height = size
    white = (255, 255, 255)
    if kind == "news":
        for _ in range(5):
            x = rng.randint(-200, width)
            band = rng.randint(40, 140)
            draw.polygon(
                [(x, 0), (x + band, 0), (x + band - 260, height), (x - 260, height)],
                fill=(*white, rng.randint(14, 36)),
            )
        for _ in range(3):
            r = rng.randint(60, 180)
            cx, cy = rng.randint(0, width), rng.randint(0, height)
            draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=(*white, 70), width=3)
    elif kind == "activity":
        for _ in range(40):
            r = rng.randint(6, 34)
            cx, cy = rng.randint(0, width), rng.randint(0, height)
            draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=(*white, rng.randint(25, 90)))
        for _ in range(12):
            x, y = rng.randint(0, width), rng.randint(0, height)
            draw.rounded_rectangle((x, y, x + 26, y + 10), radius=4, fill=(*white, 110))
    elif kind == "profile":
        cx = width // 2  # centred: the portrait is cropped to a narrow card on the site
        draw.ellipse((cx - 150, 330, cx + 150, 640), fill=(*white, 70))
        draw.ellipse((cx - 80, 120, cx + 80, 280), fill=(*white, 85))
        for _ in range(6):
            r = rng.randint(30, 110)
            x, y = rng.randint(0, width), rng.randint(0, height)
            draw.ellipse((x - r, y - r, x + r, y + r), outline=(*white, 45), width=2)
    elif kind == "donation":
        bars = 7
        gap = width // (bars + 1)
        for i in range(bars):
            bar_height = 60 + i * 40 + rng.randint(-20, 20)
            x = gap * (i + 1) - 28
            draw.rounded_rectangle(
                (x, height - bar_height, x + 56, height + 20), radius=10, fill=(*white, 60)
            )
        r = rng.randint(50, 80)
        cx, cy = rng.randint(r, width - r), rng.randint(r, 200)
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=(255, 236, 170, 140))
    else:
        for _ in range(8):
            x, y = rng.randint(0, width), rng.randint(height // 3, height)
            w = rng.randint(120, 300)
            draw.polygon([(x - w, height), (x, y), (x + w, height)], fill=(*white, 50))


@lru_cache(maxsize=256)
def demo_image(key: str, kind: str, size: tuple[int, int] = COVER_SIZE) -> bytes:
    """JPEG bytes of a picture for `key`, in the palette and motif of `kind` (news, activity…)."""
    rng = random.Random(f"{kind}:{key}")
    start, end = rng.choice(PALETTES.get(kind, PALETTES["photo"]))
    image = _gradient(size, _rgb(start), _rgb(end), angle=rng.choice([20, 35, 145, 160]))
    # An "RGBA" draw on an RGB image blends each translucent shape straight into it.
    _motif(ImageDraw.Draw(image, "RGBA"), kind, rng, size)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()
