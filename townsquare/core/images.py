"""Images members send (a post's picture, an avatar): read with a limit, decoded to prove they
are images, written again clean.

Only the four accepted formats are ever tried (`Image.open(formats=...)`), so Pillow's other
decoders never see member data. The header's size is checked before any pixel is decoded, so
a decompression bomb costs a few bytes of parsing. What is kept is the decoded pixels written
again as WebP with no EXIF, GPS, XMP, comments or ICC profile: a colour profile is applied
(converted to sRGB) rather than kept.
"""

import io

from django.conf import settings
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from .errors import Invalid, TooLarge
from .inputs import whole_number

ACCEPTED = ("JPEG", "PNG", "GIF", "WEBP")
NOT_AN_IMAGE = "That file is not an image we can read (JPEG, PNG, GIF or WebP)."
_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
MB = 1024 * 1024
# Files named after their content's hash (uploads, avatars), and the avatars drawn from a
# name alone, never show different bytes: cached for a year.
IMMUTABLE = "public, max-age=31536000, immutable"
# Room for the multipart framing, the CSRF token and the alt text around the image itself.
FORM_ALLOWANCE = 64 * 1024


def form_too_large(request) -> bool:
    """Whether an image form's body is larger than one that could pass, known from its
    Content-Length: refused before Django reads (and spools to disk) such a body."""
    length = whole_number(request.META.get("CONTENT_LENGTH") or "0")
    return length is None or length > settings.UPLOAD_MAX_BYTES + FORM_ALLOWANCE


def read_limited(file) -> bytes:
    """The bytes of an uploaded file, reading at most one byte past UPLOAD_MAX_BYTES; refuse
    with TooLarge or Invalid and the reason."""
    limit = settings.UPLOAD_MAX_BYTES
    if file.size is not None and file.size > limit:
        raise TooLarge(too_large_message(file.size))
    data = file.read(limit + 1)  # never more than one byte past the limit
    if len(data) > limit:
        raise TooLarge(too_large_message())
    if not data:
        raise Invalid("That file is empty.")
    return data


def too_large_message(size: int | None = None) -> str:
    refusal = f"Images can be at most {human_size(settings.UPLOAD_MAX_BYTES)}"
    return f"{refusal} (this one is {human_size(size)})." if size else f"{refusal}."


def human_size(count: int) -> str:
    if count >= MB:
        return f"{count / MB:.1f}".removesuffix(".0") + " MB"
    return f"{max(1, round(count / 1024))} KB"


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


def upright_srgb(image: Image.Image) -> Image.Image:
    """`image` turned as the camera held it (read before its EXIF goes), in sRGB."""
    return _in_srgb(ImageOps.exif_transpose(image))


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


def webp(image: Image.Image, quality: int) -> bytes:
    """`image` as WebP carrying its pixels only."""
    out = io.BytesIO()
    # Said outright rather than left to the encoder's defaults: the file carries pixels only.
    image.save(out, "WEBP", quality=quality, method=4, exif=b"", icc_profile=b"", xmp=b"")
    return out.getvalue()
