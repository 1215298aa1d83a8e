"""Write static/img/favicon.ico and apple-touch-icon.png: raster copies of favicon.svg.

The mortarboard on the site's dark red, drawn from the SVG's paths. Run from the project root:
    .venv/bin/python scripts/icons.py
"""

from PIL import Image, ImageDraw

S = 16  # supersampling: draw at 64*16 px, shrink with a good filter
RED, CREAM = (0x8C, 0x1D, 0x22, 255), (0xF3, 0xE3, 0xC3, 255)


def bez(p0, p1, p2, p3, n=12):
    pts = []
    for i in range(n + 1):
        t = i / n
        a = (1 - t) ** 3
        b = 3 * (1 - t) ** 2 * t
        c = 3 * (1 - t) * t * t
        d = t**3
        pts.append(
            (
                a * p0[0] + b * p1[0] + c * p2[0] + d * p3[0],
                a * p0[1] + b * p1[1] + c * p2[1] + d * p3[1],
            )
        )
    return pts


def draw(rounded=True):
    img = Image.new("RGBA", (64 * S, 64 * S), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    if rounded:
        d.rounded_rectangle((0, 0, 64 * S - 1, 64 * S - 1), radius=14 * S, fill=RED)
    else:
        d.rectangle((0, 0, 64 * S, 64 * S), fill=RED)
    cap = [(32, 12), (8, 24), (32, 36), (50, 27), (50, 40), (54, 40), (54, 24)]
    d.polygon([(x * S, y * S) for x, y in cap], fill=CREAM)
    # M18 33v10c0 4 7 8 14 8s14-4 14-8V33l-14 7z
    band = (
        [(18, 33), (18, 43)]
        + bez((18, 43), (18, 47), (25, 51), (32, 51))[1:]
        + bez((32, 51), (39, 51), (46, 47), (46, 43))[1:]
        + [(46, 33), (32, 40)]
    )
    d.polygon([(x * S, y * S) for x, y in band], fill=CREAM)
    return img


big = draw()
big.resize((256, 256), Image.LANCZOS).save(
    "static/img/favicon.ico", sizes=[(16, 16), (32, 32), (48, 48)]
)
# iOS rounds the corners itself and shows transparency as black: a full square.
draw(rounded=False).resize((180, 180), Image.LANCZOS).save(
    "static/img/apple-touch-icon.png", optimize=True
)
