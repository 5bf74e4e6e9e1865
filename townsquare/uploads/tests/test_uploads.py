"""Images in, verified and re-encoded; everything else out with a reason."""

import io
import struct
import zlib
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from townsquare.core.errors import Invalid, TooLarge
from townsquare.forum.actions import post_reply
from townsquare.uploads.actions import (
    attach_uploads,
    delete_orphan_uploads,
    store_image,
)
from townsquare.uploads.models import Upload
from townsquare.uploads.queries import image_sizes

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def image_bytes(fmt="PNG", size=(64, 48), mode="RGB", **save) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (200, 80, 40) if mode == "RGB" else None).save(out, fmt, **save)
    return out.getvalue()


def upload(data: bytes, name="image.png"):
    return SimpleUploadedFile(name, data)


def stored_files(media) -> list[str]:
    return sorted(p.name for p in media.rglob("*") if p.is_file())


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "GIF", "WEBP"])
def test_each_accepted_format_is_stored_as_webp_with_a_thumbnail(make_member, media, fmt):
    member = make_member()
    stored = store_image(owner=member, file=upload(image_bytes(fmt, (800, 600)), f"x.{fmt}"))
    assert stored.format == fmt and (stored.width, stored.height) == (800, 600)
    assert stored.file.endswith(".webp") and stored.url.startswith("/media/uploads/")
    with default_storage.open(stored.file) as f, Image.open(f) as img:
        assert img.format == "WEBP" and img.size == (800, 600)
    with default_storage.open(stored.thumbnail) as f, Image.open(f) as img:
        assert img.size == (320, 240)


def test_large_images_are_downscaled_for_display(make_member):
    stored = store_image(owner=make_member(), file=upload(image_bytes("PNG", (3200, 1000))))
    assert (stored.width, stored.height) == (1600, 500)


def test_gps_and_other_metadata_are_stripped(make_member):
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker"  # Make
    exif[0x8825] = {1: "N", 2: (51.0, 30.0, 0.0)}  # GPS latitude
    data = image_bytes("JPEG", (100, 100), exif=exif.tobytes())
    assert b"CameraMaker" in data
    stored = store_image(owner=make_member(), file=upload(data, "photo.jpg"))
    with default_storage.open(stored.file) as f:
        raw = f.read()
    assert b"CameraMaker" not in raw and b"Exif" not in raw
    with Image.open(io.BytesIO(raw)) as img:
        assert not img.getexif()


def test_the_cameras_rotation_is_applied_before_metadata_is_dropped(make_member):
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    data = image_bytes("JPEG", (200, 100), exif=exif.tobytes())
    stored = store_image(owner=make_member(), file=upload(data, "photo.jpg"))
    assert (stored.width, stored.height) == (100, 200)


@pytest.mark.parametrize("data, name", [
    (b"just some text, honestly", "notes.png"),
    (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>', "x.svg"),
    (b"<html><script>alert(1)</script></html>", "page.png"),
    (b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n", "doc.png"),
])
def test_files_that_are_not_images_are_refused(make_member, media, data, name):
    with pytest.raises(Invalid, match="not an image"):
        store_image(owner=make_member(), file=upload(data, name))
    assert stored_files(media) == [] and not Upload.objects.exists()


def test_a_truncated_image_is_refused(make_member, media):
    data = image_bytes("PNG", (300, 300))
    with pytest.raises(Invalid, match="not an image"):
        store_image(owner=make_member(), file=upload(data[: len(data) // 2]))
    assert stored_files(media) == []


def test_a_polyglot_image_with_a_zip_appended_is_stored_as_clean_pixels_only(make_member):
    zipped = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(zipped, "w") as z:
        z.writestr("evil.html", "<script>alert(1)</script>")
    data = image_bytes("PNG", (40, 40)) + zipped.getvalue()
    stored = store_image(owner=make_member(), file=upload(data))
    with default_storage.open(stored.file) as f:
        raw = f.read()
    assert b"evil.html" not in raw and b"<script>" not in raw


def bomb_png(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims huge dimensions (its pixels never exist)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(
            ">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 1024)) + chunk(b"IEND", b""))


@pytest.mark.parametrize("width, height", [(100_000, 100_000), (20_000, 10)])
def test_a_decompression_bomb_is_refused_from_its_header(make_member, media, width, height):
    with pytest.raises(Invalid, match="too large to process"):
        store_image(owner=make_member(), file=upload(bomb_png(width, height)))
    assert stored_files(media) == []


def test_an_oversized_file_is_refused_before_it_is_read(make_member, settings, media):
    settings.UPLOAD_MAX_BYTES = 10_000
    with pytest.raises(TooLarge, match="at most"):
        store_image(owner=make_member(), file=upload(b"\x89PNG" + b"0" * 20_000))
    assert stored_files(media) == []


def test_the_same_image_twice_is_one_upload(make_member):
    member = make_member()
    data = image_bytes("PNG", (50, 50))
    assert store_image(owner=member, file=upload(data)) == store_image(owner=member,
                                                                       file=upload(data))
    assert Upload.objects.count() == 1


def test_a_failed_row_leaves_no_file_behind(make_member, media, monkeypatch):
    from townsquare.uploads import actions

    def fail(*args):
        raise RuntimeError("database went away")

    monkeypatch.setattr(actions, "_create", fail)
    with pytest.raises(RuntimeError):
        store_image(owner=make_member(), file=upload(image_bytes()))
    assert stored_files(media) == []


def test_uploads_are_rate_limited(make_member, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "upload": (2, 60)}
    member = make_member()
    for size in (10, 11):
        store_image(owner=member, file=upload(image_bytes("PNG", (size, size))))
    from townsquare.core.errors import RateLimited

    with pytest.raises(RateLimited):
        store_image(owner=member, file=upload(image_bytes("PNG", (12, 12))))


def test_a_post_is_linked_to_the_images_it_shows(make_member, make_topic):
    member = make_member()
    topic = make_topic()
    first = store_image(owner=member, file=upload(image_bytes("PNG", (30, 30))))
    second = store_image(owner=member, file=upload(image_bytes("PNG", (31, 31))))
    post = post_reply(author=member, topic=topic,
                      body=f"![a]({first.url}) and ![b]({second.url})")
    assert set(post.uploads.all()) == {first, second}
    assert f'src="{first.url}" width="30" height="30"' in post.html
    attach_uploads(owner=member, post=post, body=f"![b]({second.url})")
    first.refresh_from_db()
    assert first.post is None


def test_a_post_cannot_show_someone_elses_upload(make_member, make_topic):
    owner, thief = make_member(), make_member()
    theirs = store_image(owner=owner, file=upload(image_bytes()))
    with pytest.raises(Invalid, match="only show images its author uploaded"):
        post_reply(author=thief, topic=make_topic(), body=f"![x]({theirs.url})")


def test_too_many_images_in_one_post_are_refused(make_member, make_topic, settings):
    settings.UPLOAD_MAX_PER_POST = 2
    member = make_member()
    urls = [store_image(owner=member, file=upload(image_bytes("PNG", (20 + i, 20)))).url
            for i in range(3)]
    topic = make_topic()
    before = topic.post_count
    with pytest.raises(Invalid, match="at most 2 images"):
        post_reply(author=member, topic=topic, body=" ".join(f"![i]({u})" for u in urls))
    topic.refresh_from_db()
    assert topic.post_count == before


def test_unused_uploads_are_pruned_with_their_files(make_member, make_topic, media):
    member = make_member()
    used = store_image(owner=member, file=upload(image_bytes("PNG", (20, 20))))
    unused = store_image(owner=member, file=upload(image_bytes("PNG", (21, 21))))
    post_reply(author=member, topic=make_topic(), body=f"![u]({used.url})")
    Upload.objects.update(created=timezone.now() - timedelta(days=2))
    assert delete_orphan_uploads(older_than=timedelta(hours=24)) == 1
    assert not default_storage.exists(unused.file) and not default_storage.exists(
        unused.thumbnail)
    assert default_storage.exists(used.file)
    assert list(Upload.objects.all()) == [used]


def test_image_sizes_come_from_one_query(make_member, django_assert_num_queries):
    stored = store_image(owner=make_member(), file=upload(image_bytes("PNG", (70, 40))))
    with django_assert_num_queries(1):
        sizes = image_sizes([stored.url, "/media/uploads/none.webp", "/static/x.png"])
    assert sizes == {stored.url: (70, 40)}


def test_topic_lists_show_the_opening_posts_first_image_small(client, make_member,
                                                              make_category):
    from townsquare.forum.actions import edit_post, start_topic

    member = make_member()
    category = make_category()
    first = store_image(owner=member, file=upload(image_bytes("PNG", (400, 300))))
    second = store_image(owner=member, file=upload(image_bytes("PNG", (401, 300))))
    topic = start_topic(author=member, category=category, title="Marsh in pictures",
                        body=f"![b]({second.url})\n\n![a]({first.url})")
    assert topic.thumbnail == second.thumbnail_url
    page = client.get(category.get_absolute_url()).content.decode()
    assert f'<img class="topic-thumb" src="{second.thumbnail_url}" alt=""' in page
    edit_post(editor=member, post=topic.posts.get(position=1), body="No pictures now")
    assert 'class="topic-thumb"' not in client.get(category.get_absolute_url()).content.decode()
