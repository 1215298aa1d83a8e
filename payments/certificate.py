"""The donor's certificate: a PNG to keep or share in WeChat Moments (Pillow), with the donor's
name (or 匿名捐赠人), the project, the amount when the donor chose to show it, the date and the
office's seal (drawn, red). Chinese text needs a CJK font: WECHATPAY_CERTIFICATE_FONT, or the
first of the usual Debian/Ubuntu ones found; without one there is no certificate."""

import io
import math
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFont

from core.money import yuan

from .models import OnlineOrder

FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)
WIDTH, HEIGHT = 1080, 1440
RED, INK, PAPER, GOLD = (168, 28, 34), (40, 34, 30), (253, 248, 238), (191, 150, 70)


@lru_cache(maxsize=1)
def font_path() -> str:
    configured = settings.WECHATPAY_CERTIFICATE_FONT
    if configured:
        return configured if Path(configured).is_file() else ""
    return next((path for path in FONT_CANDIDATES if Path(path).is_file()), "")


def available() -> bool:
    return bool(font_path())


def _font(size: int):
    return ImageFont.truetype(font_path(), size)


def _centered(draw, y: int, text: str, size: int, fill=INK) -> None:
    font = _font(size)
    # Long titles shrink until they fit the card.
    while draw.textlength(text, font=font) > WIDTH - 160 and size > 28:
        size -= 4
        font = _font(size)
    draw.text((WIDTH / 2, y), text, font=font, fill=fill, anchor="mm")


def certificate_png(order: OnlineOrder, *, show_amount: bool) -> bytes:
    """The certificate of a paid order as PNG bytes. Raises ValueError when the order is not
    paid or no CJK font is available."""
    if order.state != "paid" or not available():
        raise ValueError("no certificate for this order")
    image = Image.new("RGB", (WIDTH, HEIGHT), PAPER)
    draw = ImageDraw.Draw(image)
    draw.rectangle((40, 40, WIDTH - 40, HEIGHT - 40), outline=GOLD, width=6)
    draw.rectangle((60, 60, WIDTH - 60, HEIGHT - 60), outline=GOLD, width=2)
    _centered(draw, 210, "捐 赠 证 书", 96, RED)
    _centered(draw, 330, "CERTIFICATE OF DONATION", 34, GOLD)
    name = "匿名捐赠人" if order.anonymous or not order.donor_name else order.donor_name
    _centered(draw, 500, name, 76)
    _centered(draw, 610, "感谢您慷慨捐赠", 40)
    _centered(draw, 700, f"“{order.project.title}”", 52, RED)
    if show_amount:
        _centered(draw, 800, f"捐赠金额 {yuan(order.amount)}", 44)
    _centered(draw, 900, "您的善举将化作母校发展的力量。", 36)
    day = timezone.localtime(order.paid_at).date()
    site = settings.SITE_NAME or "校友会"
    _centered(draw, 1180, site, 40)
    _centered(draw, 1240, f"{day.year}年{day.month}月{day.day}日", 36)
    # The seal: a red ring with the office's name, a star in the middle.
    cx, cy, r = WIDTH - 250, 1190, 120
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=RED, width=10)
    star = [
        (
            cx + (40 if i % 2 == 0 else 16) * math.sin(math.pi * i / 5),
            cy - (40 if i % 2 == 0 else 16) * math.cos(math.pi * i / 5),
        )
        for i in range(10)
    ]
    draw.polygon(star, fill=RED)
    seal_font = _font(30)
    draw.text((cx, cy + 70), site[:6], font=seal_font, fill=RED, anchor="mm")
    draw.text((cx, cy - 70), "捐赠专用章", font=seal_font, fill=RED, anchor="mm")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
