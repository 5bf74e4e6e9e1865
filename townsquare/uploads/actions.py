"""Taking in images: verified by decoding, re-encoded without metadata, stored by hash.

An upload is decoded with Pillow before anything is kept, so a text file renamed .png, an SVG,
a truncated file or a polyglot Pillow cannot read is refused; a decompression bomb is refused
from its header, before its pixels are allocated. What is kept is never the member's file:
the decoded pixels are written again as WebP (no EXIF, GPS, XMP or comments survive),
downscaled for display, with a thumbnail for lists. Files go through Django's storage API
(local files, or a bucket by configuration) under names made from their content's hash.
"""

import hashlib
import io
import re
import warnings
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageOps, UnidentifiedImageError

from townsquare.core.errors import Invalid, TooLarge
from townsquare.core.ratelimit import check_rate

from .models import Upload

ACCEPTED = {"JPEG", "PNG", "GIF", "WEBP"}
NOT_AN_IMAGE = "That file is not an image we can read (JPEG, PNG, GIF or WebP)."
MEDIA_PATH = re.compile(r"/media/(uploads/[\w/.-]+)")


def store_image(*, owner, file) -> Upload:
    """Verify and re-encode an uploaded image for `owner`; refuse with a reason."""
    check_rate("upload", f"user:{owner.pk}")
    limit = settings.UPLOAD_MAX_BYTES
    if file.size is not None and file.size > limit:
        raise TooLarge(f"Images can be at most {limit // (1024 * 1024)} MB "
                       f"(this one is {file.size / (1024 * 1024):.1f} MB).")
    data = file.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(f"Images can be at most {limit // (1024 * 1024)} MB.")
    if not data:
        raise Invalid("That file is empty.")
    image, fmt = _decode(data)
    display, thumbnail = _reencode(image)
    digest = hashlib.sha256(display).hexdigest()
    folder = timezone.now().strftime("uploads/%Y/%m")
    stem = f"{folder}/{digest[:32]}-{owner.pk}"
    name, thumb_name = f"{stem}.webp", f"{stem}-thumb.webp"
    existing = Upload.objects.filter(sha256=digest, owner=owner).first()
    if existing:
        return existing
    saved = []
    try:
        for path, content in ((name, display), (thumb_name, thumbnail)):
            if not default_storage.exists(path):
                saved.append(default_storage.save(path, ContentFile(content)))
        with transaction.atomic():
            return _create(owner, name, thumb_name, display, fmt, digest)
    except BaseException:
        for path in saved:  # nothing stored survives a failed upload
            default_storage.delete(path)
        raise


def _create(owner, name, thumb_name, display, fmt, digest) -> Upload:
    with Image.open(io.BytesIO(display)) as stored:
        width, height = stored.size
    return Upload.objects.create(owner=owner, file=name, thumbnail=thumb_name, width=width,
                                 height=height, bytes=len(display), format=fmt, sha256=digest)


def _decode(data: bytes) -> tuple[Image.Image, str]:
    Image.MAX_IMAGE_PIXELS = settings.UPLOAD_MAX_PIXELS
    too_big = (f"That image is too large to process (at most "
               f"{settings.UPLOAD_MAX_PIXELS // 1_000_000} megapixels and "
               f"{settings.UPLOAD_MAX_SIDE:,} pixels a side).")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                if probe.format not in ACCEPTED:
                    raise Invalid(NOT_AN_IMAGE)
                if max(probe.size) > settings.UPLOAD_MAX_SIDE:
                    raise Invalid(too_big)
                probe.verify()
            image = Image.open(io.BytesIO(data))
            fmt = image.format
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise Invalid(too_big) from None
    except Invalid:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        # Pillow's ways of saying "not an image", "truncated" or "corrupt".
        raise Invalid(NOT_AN_IMAGE) from None
    return image, fmt


def _reencode(image: Image.Image) -> tuple[bytes, bytes]:
    image = ImageOps.exif_transpose(image)  # the camera's rotation, before EXIF is dropped
    if image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGBA" if "A" in image.getbands() or
                              image.info.get("transparency") is not None else "RGB")
    display = image.copy()
    display.thumbnail((settings.UPLOAD_DISPLAY_WIDTH, settings.UPLOAD_DISPLAY_WIDTH * 4))
    thumb = image.copy()
    thumb.thumbnail((settings.UPLOAD_THUMBNAIL_WIDTH, settings.UPLOAD_THUMBNAIL_WIDTH))
    return _webp(display, 82), _webp(thumb, 75)


def _webp(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    # No exif=, icc_profile= or xmp= arguments: the written file carries pixels only.
    image.save(out, "WEBP", quality=quality, method=4)
    return out.getvalue()


def referenced_files(body: str) -> list[str]:
    """Storage names of this site's uploads that a Markdown body shows, in order."""
    return list(dict.fromkeys(MEDIA_PATH.findall(body)))


def attach_uploads(*, owner, post, body: str) -> list[Upload]:
    """Link the uploads a post's body shows to the post (inside the caller's transaction).

    Refuses more than UPLOAD_MAX_PER_POST images, and images someone else uploaded unless the
    post already has them (a moderator editing a member's post keeps the member's images).
    Uploads an edit no longer shows are unlinked, to be pruned later.
    """
    names = referenced_files(body)
    if len(names) > settings.UPLOAD_MAX_PER_POST:
        raise Invalid(f"A post can show at most {settings.UPLOAD_MAX_PER_POST} images "
                      f"(this one has {len(names)}).", field="body")
    found = list(Upload.objects.filter(file__in=names)) if names else []
    foreign = [u for u in found if u.owner_id != owner.pk and u.post_id != post.pk]
    if foreign:
        raise Invalid("A post can only show images its author uploaded.", field="body")
    mine = [u.pk for u in found]
    Upload.objects.filter(post=post).exclude(pk__in=mine).update(post=None)
    if mine:
        Upload.objects.filter(pk__in=mine).update(post=post)
    return found


def delete_orphan_uploads(*, older_than: timedelta) -> int:
    """Remove uploads no post has used for `older_than`, files first, then rows."""
    cutoff = timezone.now() - older_than
    count = 0
    for upload in Upload.objects.filter(post__isnull=True, created__lt=cutoff).iterator():
        for name in (upload.file, upload.thumbnail):
            default_storage.delete(name)
        upload.delete()
        count += 1
    return count
