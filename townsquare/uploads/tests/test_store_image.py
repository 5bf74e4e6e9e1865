"""Images in, decoded and written again clean; everything else out with a reason."""

import hashlib
import io
import re
import struct
import zipfile
import zlib

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageCms

from townsquare.core.errors import Invalid, RateLimited, TooLarge
from townsquare.uploads.actions import store_image
from townsquare.uploads.models import Upload

pytestmark = pytest.mark.django_db


def opened(name: str) -> Image.Image:
    with default_storage.open(name) as f:
        image = Image.open(io.BytesIO(f.read()))
        image.load()
    return image


def raw(name: str) -> bytes:
    with default_storage.open(name) as f:
        return f.read()


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "GIF", "WEBP"])
def test_each_accepted_format_is_stored_as_webp_with_a_thumbnail(make_member, image_file,
                                                                  stored_files, fmt):
    stored = store_image(owner=make_member(), file=image_file(fmt=fmt, size=(800, 600)))
    assert stored.format == fmt and (stored.width, stored.height) == (800, 600)
    assert re.fullmatch(r"uploads/\d{4}/\d{2}/[0-9a-f]{32}-[0-9a-f]{8}\.webp", stored.file)
    assert stored.thumbnail == stored.file.replace(".webp", "-thumb.webp")
    assert stored_files() == sorted([stored.file, stored.thumbnail])
    assert stored.url == f"/media/{stored.file}"
    display, thumb = opened(stored.file), opened(stored.thumbnail)
    assert display.format == "WEBP" and display.size == (800, 600)
    assert thumb.format == "WEBP" and thumb.size == (320, 240)


def test_the_name_and_checksum_come_from_the_stored_bytes(make_member, image_file):
    stored = store_image(owner=make_member(), file=image_file())
    data = raw(stored.file)
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert stored.bytes == len(data)
    assert stored.file.split("/")[-1].startswith(stored.sha256[:32])


def test_the_pixels_survive_re_encoding(make_member, image_file):
    stored = store_image(owner=make_member(), file=image_file(fmt="PNG", size=(80, 40)))
    image = opened(stored.file).convert("RGB")
    assert all(abs(a - b) < 12 for a, b in zip(image.getpixel((60, 20)), (200, 80, 40),
                                                strict=True))
    assert all(abs(a - b) < 12 for a, b in zip(image.getpixel((5, 20)), (20, 40, 160),
                                                strict=True))


def test_transparency_is_kept(make_member):
    out = io.BytesIO()
    Image.new("RGBA", (30, 30), (0, 0, 0, 0)).save(out, "PNG")
    stored = store_image(owner=make_member(), file=SimpleUploadedFile("clear.png",
                                                                      out.getvalue()))
    image = opened(stored.file)
    assert image.mode == "RGBA" and image.getpixel((10, 10))[3] == 0


def test_an_animated_gif_keeps_its_first_frame(make_member):
    frames = [Image.new("RGB", (40, 40), colour) for colour in ((250, 0, 0), (0, 0, 250))]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    stored = store_image(owner=make_member(), file=SimpleUploadedFile("a.gif", out.getvalue()))
    red, green, blue = opened(stored.file).convert("RGB").getpixel((20, 20))
    assert red > 200 and blue < 50
    assert getattr(opened(stored.file), "n_frames", 1) == 1


def test_large_images_are_downscaled_for_display(make_member, image_file):
    wide = store_image(owner=make_member(), file=image_file(size=(3200, 1000)))
    assert (wide.width, wide.height) == (1600, 500)
    assert opened(wide.file).size == (1600, 500) and opened(wide.thumbnail).size == (320, 100)


def test_a_very_tall_image_is_bounded_in_height_too(make_member, image_file):
    stored = store_image(owner=make_member(), file=image_file(size=(1000, 8000)))
    assert (stored.width, stored.height) == (800, 6400)


def gps_jpeg(image_bytes) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker"  # Make
    exif[0x0131] = "SecretEditor 1.0"  # Software
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (51.0, 30.0, 26.0), 3: "W", 4: (0.0, 7.0, 39.0)})
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF>private-xmp</rdf:RDF></x:xmpmeta>'
    return image_bytes("JPEG", (120, 90), exif=exif, xmp=xmp, comment=b"private-comment")


def test_gps_exif_xmp_and_comments_are_stripped(make_member, image_bytes):
    data = gps_jpeg(image_bytes)
    with Image.open(io.BytesIO(data)) as source:  # the test image really carries them
        assert source.getexif().get_ifd(0x8825)[2] == (51.0, 30.0, 26.0)
        assert b"private-xmp" in data and b"private-comment" in data
    stored = store_image(owner=make_member(), file=SimpleUploadedFile("photo.jpg", data))
    for name in (stored.file, stored.thumbnail):
        kept = raw(name)
        for secret in (b"CameraMaker", b"SecretEditor", b"private-xmp", b"private-comment",
                       b"EXIF", b"XMP ", b"ICCP"):
            assert secret not in kept
        image = opened(name)
        assert not image.getexif() and not image.getexif().get_ifd(0x8825)
        assert not {"exif", "xmp", "icc_profile"} & set(image.info)


def test_the_cameras_rotation_is_applied_before_metadata_is_dropped(make_member, image_bytes):
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: turn 90° clockwise to display
    data = image_bytes("JPEG", (200, 100), exif=exif)
    stored = store_image(owner=make_member(), file=SimpleUploadedFile("photo.jpg", data))
    assert (stored.width, stored.height) == (100, 200)
    image = opened(stored.file).convert("RGB")
    assert image.size == (100, 200)
    # The blue stripe was on the left edge; turned clockwise it is along the top.
    assert image.getpixel((50, 10))[2] > 120 and image.getpixel((50, 190))[2] < 100


def swapped_primaries_profile() -> bytes:
    """An sRGB profile with its red and blue primaries exchanged: pixels tagged with it that
    say (255, 0, 0) mean blue."""
    data = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    count = struct.unpack(">I", data[128:132])[0]
    entries = {bytes(data[132 + 12 * i:136 + 12 * i]): 136 + 12 * i for i in range(count)}
    red, blue = entries[b"rXYZ"], entries[b"bXYZ"]
    data[red:red + 8], data[blue:blue + 8] = data[blue:blue + 8], data[red:red + 8]
    return bytes(data)


def test_a_colour_profile_is_applied_then_dropped(make_member):
    out = io.BytesIO()
    Image.new("RGB", (20, 20), (255, 0, 0)).save(out, "PNG",
                                                  icc_profile=swapped_primaries_profile())
    stored = store_image(owner=make_member(), file=SimpleUploadedFile("wide.png",
                                                                      out.getvalue()))
    image = opened(stored.file)
    assert "icc_profile" not in image.info and b"ICCP" not in raw(stored.file)
    red, green, blue = image.convert("RGB").getpixel((10, 10))
    assert blue > 200 and red < 60


def test_a_broken_colour_profile_does_not_stop_an_upload(make_member):
    out = io.BytesIO()
    Image.new("RGB", (20, 20), (255, 0, 0)).save(out, "PNG", icc_profile=b"not a profile" * 10)
    stored = store_image(owner=make_member(), file=SimpleUploadedFile("odd.png", out.getvalue()))
    assert opened(stored.file).convert("RGB").getpixel((5, 5))[0] > 200
    assert b"not a profile" not in raw(stored.file)


def test_cmyk_and_greyscale_images_are_stored_as_rgb(make_member, image_file):
    for mode in ("CMYK", "L"):
        stored = store_image(owner=make_member(), file=image_file(fmt="JPEG", mode=mode))
        assert opened(stored.file).mode == "RGB"


@pytest.mark.parametrize("data, name", [
    (b"just some text, honestly", "notes.png"),
    (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>', "x.svg"),
    (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>', "x.png"),
    (b"<html><script>alert(1)</script></html>", "page.png"),
    (b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n", "doc.png"),
    (b"\x89PNG\r\n\x1a\n", "header-only.png"),
    (b"GIF89a<script>alert(1)</script>", "script.gif"),
])
def test_files_that_are_not_images_are_refused(make_member, stored_files, data, name):
    with pytest.raises(Invalid, match="not an image we can read"):
        store_image(owner=make_member(), file=SimpleUploadedFile(name, data))
    assert stored_files() == [] and not Upload.objects.exists()


@pytest.mark.parametrize("fmt", ["BMP", "TIFF", "ICO", "PPM"])
def test_images_in_other_formats_are_refused(make_member, image_bytes, stored_files, fmt):
    with pytest.raises(Invalid, match="JPEG, PNG, GIF or WebP"):
        store_image(owner=make_member(), file=SimpleUploadedFile("x.png", image_bytes(fmt)))
    assert stored_files() == []


def test_an_empty_file_is_refused(make_member):
    with pytest.raises(Invalid, match="empty"):
        store_image(owner=make_member(), file=SimpleUploadedFile("x.png", b""))


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "GIF", "WEBP"])
def test_a_truncated_image_is_refused(make_member, image_bytes, stored_files, fmt):
    data = image_bytes(fmt, (300, 300))
    with pytest.raises(Invalid, match="not an image"):
        store_image(owner=make_member(), file=SimpleUploadedFile("cut", data[: len(data) // 2]))
    assert stored_files() == [] and not Upload.objects.exists()


def test_a_png_with_a_zip_appended_is_stored_as_clean_pixels_only(make_member, image_bytes):
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("evil.html", "<script>alert(1)</script>")
    data = image_bytes("PNG", (40, 40)) + archive.getvalue()
    assert zipfile.is_zipfile(io.BytesIO(data))  # a real polyglot: both a PNG and a ZIP
    stored = store_image(owner=make_member(), file=SimpleUploadedFile("both.png", data))
    kept = raw(stored.file)
    assert b"evil.html" not in kept and b"<script>" not in kept
    assert not zipfile.is_zipfile(io.BytesIO(kept))


def test_html_hidden_in_an_image_is_not_kept(make_member, image_bytes):
    html = b"<html><body><script>alert(document.cookie)</script></body></html>"
    png = image_bytes("PNG", (40, 40))
    # A text chunk carrying the page, inserted after IHDR: still a valid PNG.
    chunk = (struct.pack(">I", len(html) + 8) + b"tEXt" + b"Comment\x00" + html
             + struct.pack(">I", zlib.crc32(b"tEXtComment\x00" + html) & 0xFFFFFFFF))
    data = png[:33] + chunk + png[33:]
    jpeg = image_bytes("JPEG", (40, 40), comment=html)
    for sample in (data, jpeg):
        assert html in sample
        stored = store_image(owner=make_member(), file=SimpleUploadedFile("x", sample))
        assert b"<script>" not in raw(stored.file) and b"<html>" not in raw(stored.file)


def test_a_page_with_an_image_appended_is_refused(make_member, image_bytes):
    data = b"<html><script>alert(1)</script></html>\n" + image_bytes("PNG")
    with pytest.raises(Invalid, match="not an image"):
        store_image(owner=make_member(), file=SimpleUploadedFile("page.png", data))


def test_a_png_whose_checksums_do_not_match_is_refused(make_member, image_bytes):
    """The pixels still decode; only verify() reads the checksum that gives it away."""
    data = bytearray(image_bytes("PNG", (40, 40)))
    idat = data.index(b"IDAT")
    length = struct.unpack(">I", data[idat - 4:idat])[0]
    data[idat + 4 + length] ^= 0xFF  # the first byte of IDAT's CRC
    with pytest.raises(Invalid, match="not an image"):
        store_image(owner=make_member(), file=SimpleUploadedFile("x.png", bytes(data)))


# Pillow warns about images between one and two times its limit; the refusal is the point here.
@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
@pytest.mark.parametrize("width, height", [
    (100_000, 100_000),  # past Pillow's own guard, raised while opening
    (7_000, 7_000),  # 49 megapixels: past the site's 40, within Pillow's warning band
    (20_000, 10),  # few pixels, but a side past UPLOAD_MAX_SIDE
])
def test_a_decompression_bomb_is_refused_from_its_header(make_member, bomb_png, stored_files,
                                                         width, height):
    data = bomb_png(width, height)
    assert len(data) < 100
    with pytest.raises(Invalid, match="too large to process"):
        store_image(owner=make_member(), file=SimpleUploadedFile("bomb.png", data))
    assert stored_files() == [] and not Upload.objects.exists()


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_the_pixel_limit_follows_the_setting(make_member, image_file, settings):
    settings.UPLOAD_MAX_PIXELS = 10_000
    with pytest.raises(Invalid, match="too large to process"):
        store_image(owner=make_member(), file=image_file(size=(101, 100)))
    assert store_image(owner=make_member(), file=image_file(size=(100, 100)))
    assert Image.MAX_IMAGE_PIXELS == 10_000


def test_an_oversized_file_is_refused_with_its_size(make_member, settings, stored_files):
    settings.UPLOAD_MAX_BYTES = 2 * 1024 * 1024
    big = SimpleUploadedFile("big.png", b"\x89PNG" + b"0" * 3_400_000)
    refusal = r"^Images can be at most 2 MB \(this one is 3.2 MB\)\.$"
    with pytest.raises(TooLarge, match=refusal):
        store_image(owner=make_member(), file=big)
    assert stored_files() == []


class Endless:
    """An upload whose size is unknown; it records how much was read from it."""

    size = None

    def __init__(self):
        self.read_bytes = 0

    def read(self, n=-1):
        assert n > 0, "the whole stream was asked for"
        self.read_bytes += n
        return b"\x89PNG" + b"0" * (n - 4)


def test_a_stream_of_unknown_size_is_read_only_one_byte_past_the_limit(make_member, settings):
    settings.UPLOAD_MAX_BYTES = 10_000
    stream = Endless()
    with pytest.raises(TooLarge, match="at most"):
        store_image(owner=make_member(), file=stream)
    assert stream.read_bytes == 10_001


def test_the_same_image_twice_before_use_is_one_upload(make_member, image_bytes):
    member, data = make_member(), image_bytes()
    first = store_image(owner=member, file=SimpleUploadedFile("a.png", data))
    assert store_image(owner=member, file=SimpleUploadedFile("b.png", data)) == first
    assert Upload.objects.count() == 1
    other = store_image(owner=make_member(), file=SimpleUploadedFile("a.png", data))
    assert other != first and other.file != first.file


def test_the_same_image_again_after_a_post_used_it_is_a_new_upload(make_member, make_topic,
                                                                    image_bytes):
    member, data = make_member(), image_bytes()
    first = store_image(owner=member, file=SimpleUploadedFile("a.png", data))
    make_topic(author=member, body=f"![a]({first.url})")
    second = store_image(owner=member, file=SimpleUploadedFile("a.png", data))
    assert second != first and second.file != first.file and second.sha256 == first.sha256


def test_a_failed_row_leaves_no_file_behind(make_member, image_file, stored_files,
                                            monkeypatch):
    def fail(**fields):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(Upload.objects, "create", fail)
    with pytest.raises(RuntimeError):
        store_image(owner=make_member(), file=image_file())
    assert stored_files() == []


def test_a_failed_thumbnail_save_removes_the_saved_display_file(make_member, image_file,
                                                                stored_files, monkeypatch):
    save = default_storage.save

    def save_display_only(name, content, **kwargs):
        if name.endswith("-thumb.webp"):
            raise OSError("disk full")
        return save(name, content, **kwargs)

    monkeypatch.setattr(default_storage, "save", save_display_only)
    with pytest.raises(OSError):
        store_image(owner=make_member(), file=image_file())
    assert stored_files() == [] and not Upload.objects.exists()


def test_uploads_are_rate_limited_per_member(make_member, image_file, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "upload": (2, 60)}
    member = make_member()
    for size in (10, 11):
        store_image(owner=member, file=image_file(size=(size, size)))
    with pytest.raises(RateLimited):
        store_image(owner=member, file=image_file(size=(12, 12)))
    assert store_image(owner=make_member(), file=image_file(size=(12, 12)))
