"""Avatars: an uploaded picture cut into squares, or a generated one with the member's initials.

An upload goes through the same checks as a post's image (core/images.py decodes it with
only the accepted formats, refusing bombs and truncated files) and is written again as WebP
squares of settings.AVATAR_SIZES pixels, centre-cropped. A member without one gets an SVG
drawn from their username alone: its address names everything it shows, so it is cached for
a year and served without a database query.
"""

import colorsys
import hashlib
import re

from django.conf import settings
from django.utils.html import escape
from PIL import Image

from townsquare.core import images

WEBP_QUALITY = 82
# White initials on a background dark enough for WCAG AA's 4.5:1 (normal-size text).
MIN_CONTRAST = 4.5
TEXT_COLOUR = (255, 255, 255)


def square_webps(image: Image.Image) -> dict[int, bytes]:
    """`image` upright, in sRGB, centre-cropped to a square, as WebP at each AVATAR_SIZE."""
    image = images.upright_srgb(image)
    side = min(image.size)
    left, top = (image.width - side) // 2, (image.height - side) // 2
    square = image.crop((left, top, left + side, top + side))
    return {size: images.webp(square.resize((size, size), Image.Resampling.LANCZOS,
                                            reducing_gap=3.0), WEBP_QUALITY)
            for size in settings.AVATAR_SIZES}


def initials(username: str) -> str:
    """One letter per part of the name, at most two: "mara" is M, "jo.ann" is JA."""
    parts = [part for part in re.split(r"[._\-+@\s]+", username) if part] or ["?"]
    return "".join(part[0].upper()[0] for part in parts[:2])


def colour(username: str) -> tuple[int, int, int]:
    """A background colour of the username's own (the same in any letter case), with
    at least MIN_CONTRAST against white."""
    digest = hashlib.sha256(username.casefold().encode()).digest()
    hue = int.from_bytes(digest[:2]) % 360 / 360
    saturation = 0.45 + digest[2] / 255 * 0.3
    lightness = 0.5
    rgb = _rgb(hue, lightness, saturation)
    while contrast(rgb, TEXT_COLOUR) < MIN_CONTRAST:
        lightness -= 0.01
        rgb = _rgb(hue, lightness, saturation)
    return rgb


def _rgb(hue: float, lightness: float, saturation: float) -> tuple[int, int, int]:
    return tuple(round(c * 255) for c in colorsys.hls_to_rgb(hue, lightness, saturation))


def contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    """WCAG 2 contrast ratio of two sRGB colours."""
    lighter, darker = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def _luminance(rgb: tuple[int, int, int]) -> float:
    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def default_svg(username: str) -> str:
    """The generated avatar: the username's initials on the username's colour."""
    letters = initials(username)
    size = 44 if len(letters) > 1 else 52
    fill = "#{:02x}{:02x}{:02x}".format(*colour(username))
    text = "#{:02x}{:02x}{:02x}".format(*TEXT_COLOUR)
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100" width="256" '
        f'height="256"><rect width="100" height="100" fill="{fill}"/>'
        '<text x="50" y="50" dominant-baseline="central" text-anchor="middle" '
        'font-family="system-ui, -apple-system, Segoe UI, Roboto, Arial, sans-serif" '
        f'font-size="{size}" font-weight="600" fill="{text}">{escape(letters)}</text></svg>'
    )
