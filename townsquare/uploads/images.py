"""The pixel work of an upload: decode to prove it is an image, then write it again, clean.

Only the four accepted formats are ever tried (`Image.open(formats=...)`), so Pillow's other
decoders never see member data. The header's size is checked before any pixel is decoded, so
a decompression bomb costs a few bytes of parsing. What is kept is the decoded pixels written
again as WebP with no EXIF, GPS, XMP, comments or ICC profile: a colour profile is applied
(converted to sRGB) rather than kept.
"""

import io
from dataclasses import dataclass

from django.conf import settings
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from townsquare.core.errors import Invalid

ACCEPTED = ("JPEG", "PNG", "GIF", "WEBP")
NOT_AN_IMAGE = "That file is not an image we can read (JPEG, PNG, GIF or WebP)."
_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


@dataclass(frozen=True)
class Encoded:
    """An image written again: the display file, its thumbnail, and the display size."""

    display: bytes
    thumbnail: bytes
    width: int
    height: int
    source_format: str


def too_big_message() -> str:
    return (f"That image is too large to process (at most "
            f"{settings.UPLOAD_MAX_PIXELS // 1_000_000} megapixels and "
            f"{settings.UPLOAD_MAX_SIDE:,} pixels a side).")


def decode(data: bytes) -> Image.Image:
    """The fully decoded image in `data`, or Invalid with the reason it is refused."""
    # Pillow's own guard, raised from Image.open (before allocation) past twice this.
    Image.MAX_IMAGE_PIXELS = settings.UPLOAD_MAX_PIXELS
    try:
        with Image.open(io.BytesIO(data), formats=ACCEPTED) as probe:
            _check_size(*probe.size)
            probe.verify()  # checksums and structure, without decoding the pixels
        # verify() leaves the image unusable: open again and decode every pixel, which is
        # what catches a truncated file.
        image = Image.open(io.BytesIO(data), formats=ACCEPTED)
        image.load()
    except Image.DecompressionBombError:
        raise Invalid(too_big_message()) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError,
            IndexError, TypeError):
        # Pillow's ways of saying "not an image", "truncated" or "corrupt".
        raise Invalid(NOT_AN_IMAGE) from None
    return image


def _check_size(width: int, height: int) -> None:
    if (width * height > settings.UPLOAD_MAX_PIXELS
            or max(width, height) > settings.UPLOAD_MAX_SIDE):
        raise Invalid(too_big_message())
    if not width or not height:
        raise Invalid(NOT_AN_IMAGE)


def reencode(image: Image.Image) -> Encoded:
    """`image` upright, in sRGB, downscaled for display, as WebP files carrying pixels only."""
    source_format = image.format
    image = _in_srgb(ImageOps.exif_transpose(image))  # the camera's rotation, before EXIF goes
    display = image.copy()
    width = settings.UPLOAD_DISPLAY_WIDTH
    display.thumbnail((width, width * 4))
    thumb = image.copy()
    thumb.thumbnail((settings.UPLOAD_THUMBNAIL_WIDTH, settings.UPLOAD_THUMBNAIL_WIDTH))
    return Encoded(display=_webp(display, 82), thumbnail=_webp(thumb, 75),
                   width=display.width, height=display.height, source_format=source_format)


def _in_srgb(image: Image.Image) -> Image.Image:
    """RGB or RGBA pixels meaning sRGB colours, whatever mode and profile came in."""
    alpha = "A" in image.getbands() or image.info.get("transparency") is not None
    mode = "RGBA" if alpha else "RGB"
    profile = image.info.get("icc_profile")
    if image.mode not in ("RGB", "RGBA", "CMYK"):
        image = image.convert(mode)
    if profile:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
            out_mode = mode if image.mode != "CMYK" else "RGB"
            image = ImageCms.profileToProfile(image, source, _SRGB, outputMode=out_mode)
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            pass  # a broken or mismatched profile: show the numbers as sRGB, as browsers do
    return image if image.mode == mode else image.convert(mode)


def _webp(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    # Said outright rather than left to the encoder's defaults: the file carries pixels only.
    image.save(out, "WEBP", quality=quality, method=4, exif=b"", icc_profile=b"", xmp=b"")
    return out.getvalue()
