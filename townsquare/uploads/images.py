"""A post's image written again for the page: a display file and a thumbnail, both clean WebP
(the checks and the re-encoding are core/images.py's, which avatars share)."""

from dataclasses import dataclass

from django.conf import settings
from PIL import Image

from townsquare.core.images import upright_srgb, webp


@dataclass(frozen=True)
class Encoded:
    """An image written again: the display file, its thumbnail, and the display size."""

    display: bytes
    thumbnail: bytes
    width: int
    height: int
    source_format: str


def reencode(image: Image.Image) -> Encoded:
    """`image` upright, in sRGB, downscaled for display, as WebP files carrying pixels only."""
    source_format = image.format
    image = upright_srgb(image)  # the camera's rotation, before EXIF goes
    display = image.copy()
    width = settings.UPLOAD_DISPLAY_WIDTH
    display.thumbnail((width, width * 4))
    thumb = image.copy()
    thumb.thumbnail((settings.UPLOAD_THUMBNAIL_WIDTH, settings.UPLOAD_THUMBNAIL_WIDTH))
    return Encoded(display=webp(display, 82), thumbnail=webp(thumb, 75),
                   width=display.width, height=display.height, source_format=source_format)
