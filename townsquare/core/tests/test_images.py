"""The image checks post images and avatars share: a limited read, a decode that refuses
what is not one of four formats, and clean WebP written from upright sRGB pixels."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from PIL import Image

from townsquare.core import images
from townsquare.core.errors import Invalid, TooLarge


@pytest.mark.parametrize("count, shown", [(1, "1 KB"), (1536, "2 KB"), (1024 * 1024, "1 MB"),
                                          (3 * 1024 * 1024 // 2, "1.5 MB")])
def test_sizes_read_in_kb_below_a_megabyte_and_in_mb_above(count, shown):
    assert images.human_size(count) == shown


def test_the_refusal_names_the_limit_and_the_size_when_known(settings):
    settings.UPLOAD_MAX_BYTES = 2 * 1024 * 1024
    assert images.too_large_message() == "Images can be at most 2 MB."
    assert images.too_large_message(3 * 1024 * 1024) == \
        "Images can be at most 2 MB (this one is 3 MB)."


@pytest.mark.parametrize("length, refused", [("0", False), ("", False), ("1000", False),
                                             (str(1000 + images.FORM_ALLOWANCE + 1), True),
                                             ("-1", True), ("lots", True)])
def test_a_form_is_too_large_past_the_limit_and_its_allowance(settings, length, refused):
    settings.UPLOAD_MAX_BYTES = 1000
    request = RequestFactory().post("/")
    request.META["CONTENT_LENGTH"] = length
    assert images.form_too_large(request) is refused


def test_a_file_is_read_to_at_most_one_byte_past_the_limit(settings):
    settings.UPLOAD_MAX_BYTES = 10
    assert images.read_limited(SimpleUploadedFile("a.png", b"0" * 10)) == b"0" * 10
    with pytest.raises(TooLarge, match=r"this one is 1 KB"):
        images.read_limited(SimpleUploadedFile("b.png", b"0" * 11))
    with pytest.raises(Invalid, match="empty"):
        images.read_limited(SimpleUploadedFile("c.png", b""))


@pytest.mark.parametrize("fmt", images.ACCEPTED)
def test_each_accepted_format_decodes(image_bytes, fmt):
    assert images.decode(image_bytes(fmt)).size == (64, 48)


@pytest.mark.parametrize("fmt", ["BMP", "TIFF"])
def test_other_formats_are_refused_undecoded(image_bytes, fmt):
    with pytest.raises(Invalid, match="JPEG, PNG, GIF or WebP"):
        images.decode(image_bytes(fmt))


def test_a_bomb_is_refused_from_its_header(bomb_png):
    with pytest.raises(Invalid, match="too large to process"):
        images.decode(bomb_png(40_000, 40_000))


def test_webp_is_written_upright_in_srgb_with_pixels_only(image_bytes):
    exif = Image.Exif()
    exif[0x0112] = 6  # taken with the camera turned: shown turned a quarter clockwise
    exif[0x010F] = "Camera maker"
    upright = images.upright_srgb(images.decode(image_bytes("JPEG", (64, 48), exif=exif)))
    written = Image.open(io.BytesIO(images.webp(upright, 82)))
    assert written.format == "WEBP" and written.size == (48, 64) and written.mode == "RGB"
    assert not written.info.get("exif") and not written.info.get("icc_profile")
