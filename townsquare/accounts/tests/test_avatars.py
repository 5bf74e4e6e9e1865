"""Avatars: uploaded ones verified and cut into WebP squares, removed and replaced; generated
ones drawn from the username."""

import hashlib
import io
from html import unescape

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from townsquare.accounts import actions, avatars
from townsquare.accounts.models import User
from townsquare.accounts.queries import avatar_url
from townsquare.core.errors import Invalid

pytestmark = pytest.mark.django_db

URL = "/me/profile/avatar/"


@pytest.fixture
def ada(client, make_member):
    member = make_member("ada")
    client.force_login(member)
    return member


def opened(name: str) -> Image.Image:
    with default_storage.open(name) as f:
        image = Image.open(io.BytesIO(f.read()))
        image.load()
    return image


def upload(client, file, **extra):
    return client.post(URL, {"avatar": file}, **extra)


def test_an_uploaded_avatar_is_stored_as_webp_squares_named_by_their_content(
        client, ada, image_file, stored_files):
    response = upload(client, image_file(size=(300, 200)))
    assert response.status_code == 303 and response["Location"] == "/me/profile/"
    ada.refresh_from_db()
    assert set(ada.avatar) == {"256", "64"}
    assert stored_files() == sorted(ada.avatar.values())
    for size, name in ada.avatar.items():
        image = opened(name)
        assert image.format == "WEBP" and image.size == (int(size), int(size))
        with default_storage.open(name) as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        assert name == f"avatars/{ada.pk}/{digest[:32]}-{size}.webp"
    assert "Your new avatar is in place." in client.get("/me/profile/").content.decode()


def test_the_square_is_cut_from_the_middle(ada, image_bytes, stored_files):
    wide = Image.new("RGB", (300, 100), (220, 20, 20))
    wide.paste((20, 200, 20), (100, 0, 200, 100))
    out = io.BytesIO()
    wide.save(out, "PNG")
    member = actions.set_avatar(member=ada, file=SimpleUploadedFile("w.png", out.getvalue()))
    square = opened(member.avatar["256"]).convert("RGB")
    for point in [(0, 0), (255, 0), (0, 255), (255, 255), (128, 128)]:
        r, g, b = square.getpixel(point)
        assert g > 150 and r < 80, point


def test_the_cameras_rotation_is_applied_and_its_metadata_dropped(ada, stored_files):
    tall = Image.new("RGB", (100, 300), (20, 20, 220))
    tall.paste((240, 240, 20), (0, 0, 50, 300))  # the left half yellow, the right blue
    exif = Image.Exif()
    exif[0x0112] = 6  # stored on its side: turn 90° clockwise to show
    exif[0x010F] = "Camera maker"
    out = io.BytesIO()
    tall.rotate(90, expand=True).save(out, "JPEG", exif=exif, quality=95)
    member = actions.set_avatar(member=ada, file=SimpleUploadedFile("p.jpg", out.getvalue()))
    square = opened(member.avatar["256"])
    assert not square.getexif() and "icc_profile" not in square.info
    rgb = square.convert("RGB")
    r, g, b = rgb.getpixel((40, 128))
    assert r > 180 and g > 180 and b < 100  # upright: yellow on the left
    r, g, b = rgb.getpixel((215, 128))
    assert b > 180 and r < 100


def test_avatar_url_picks_the_smallest_file_at_least_as_large(ada, image_file):
    member = actions.set_avatar(member=ada, file=image_file(size=(80, 80)))
    large, small = member.avatar["256"], member.avatar["64"]
    assert avatar_url(member, 32) == avatar_url(member, 64) == f"/media/{small}"
    assert avatar_url(member, 65) == avatar_url(member, 256) == f"/media/{large}"
    assert avatar_url(member, 1024) == f"/media/{large}"


def test_avatar_url_without_an_upload_is_the_generated_one(make_member):
    assert avatar_url(make_member("jo.ann+x@home"), 64) == "/members/jo.ann+x@home/avatar.svg"


def test_the_avatar_url_template_tag(make_member):
    from django.template import engines

    template = engines["django"].from_string("{% load avatars %}{% avatar_url m 64 %}")
    assert template.render({"m": make_member("bo")}) == "/members/bo/avatar.svg"


def test_a_new_avatar_replaces_the_old_files(client, ada, image_file, stored_files,
                                             django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, image_file(size=(50, 50), colour=(10, 10, 10)))
    ada.refresh_from_db()
    first = set(ada.avatar.values())
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, image_file(size=(50, 50), colour=(250, 250, 250)))
    ada.refresh_from_db()
    assert set(stored_files()) == set(ada.avatar.values())
    assert not first & set(stored_files())


def test_the_same_picture_again_changes_nothing(client, ada, image_file, stored_files,
                                                django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, image_file())
        upload(client, image_file())
    ada.refresh_from_db()
    assert stored_files() == sorted(ada.avatar.values()) and len(stored_files()) == 2


def test_removing_the_avatar_deletes_its_files_and_brings_back_the_initials(
        client, ada, image_file, stored_files, django_capture_on_commit_callbacks):
    upload(client, image_file())
    edit = unescape(client.get("/me/profile/").content.decode())
    assert '<button type="submit" class="button">Remove avatar</button>' in edit
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/me/profile/avatar/remove/")
    assert response.status_code == 303 and response["Location"] == "/me/profile/"
    ada.refresh_from_db()
    assert ada.avatar == {} and stored_files() == []
    page = client.get("/u/ada/").content.decode()
    assert 'src="/members/ada/avatar.svg"' in page
    assert "Remove avatar" not in client.get("/me/profile/").content.decode()


def test_removing_when_there_is_none_is_harmless(client, ada):
    assert client.post("/me/profile/avatar/remove/").status_code == 303
    ada.refresh_from_db()
    assert ada.avatar == {}


# Refusals: the uploads app's reasons and statuses, and nothing stored.

@pytest.fixture
def refused(client, ada, stored_files):
    """Post `file` and check it was refused with `status` and `message`, storing nothing."""
    def check(file, status: int, message: str):
        response = upload(client, file)
        assert response.status_code == status
        text = unescape(response.content.decode())
        assert message in text
        assert '<label for="id_avatar">' in text  # the page again, with the reason
        assert stored_files() == []
        ada.refresh_from_db()
        assert ada.avatar == {}

    return check


def test_a_file_that_is_not_an_image_is_400(refused):
    refused(SimpleUploadedFile("notes.png", b"just some text"), 400,
            "That file is not an image we can read (JPEG, PNG, GIF or WebP).")


def test_an_svg_is_400(refused):
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    refused(SimpleUploadedFile("face.svg", svg, content_type="image/svg+xml"), 400,
            "That file is not an image we can read")


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "GIF", "WEBP"])
def test_a_truncated_image_is_400(refused, image_bytes, fmt):
    data = image_bytes(fmt=fmt, size=(200, 150))
    refused(SimpleUploadedFile(f"cut.{fmt.lower()}", data[: len(data) // 2]), 400,
            "That file is not an image we can read")


def test_a_decompression_bomb_is_400(refused, bomb_png):
    refused(SimpleUploadedFile("bomb.png", bomb_png(50_000, 50_000)), 400,
            "That image is too large to process (at most 40 megapixels")


def test_an_image_over_the_byte_limit_is_413(refused, image_file, settings):
    settings.UPLOAD_MAX_BYTES = 100
    refused(image_file(size=(200, 200)), 413, "Images can be at most 1 KB")


def test_a_body_far_over_the_limit_is_413_before_it_is_read(refused, settings, monkeypatch):
    settings.UPLOAD_MAX_BYTES = 1000

    def never(**kwargs):
        raise AssertionError("the upload reached the action")

    monkeypatch.setattr(actions, "set_avatar", never)
    refused(SimpleUploadedFile("huge.png", b"\x89PNG" + b"0" * 200_000), 413,
            "Images can be at most 1 KB.")


def test_an_empty_file_is_400(refused):
    refused(SimpleUploadedFile("empty.png", b""), 400, "That file is empty.")


def test_no_file_is_400(client, ada, stored_files):
    response = client.post(URL, {"picture": SimpleUploadedFile("x.png", b"x")})
    assert response.status_code == 400
    assert "Choose an image file to upload." in response.content.decode()


def test_uploading_too_often_is_429_and_counts_with_post_images(
        client, ada, image_file, settings, stored_files):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "upload": (2, 600)}
    assert client.post("/uploads/", {"image": image_file()},
                       HTTP_ACCEPT="application/json").status_code == 201
    assert upload(client, image_file(size=(20, 20))).status_code == 303
    before = stored_files()
    response = upload(client, image_file(size=(30, 30)))
    assert response.status_code == 429 and "too often" in response.content.decode()
    assert 1 <= int(response["Retry-After"]) <= 600
    assert stored_files() == before


def test_files_are_deleted_again_when_saving_the_row_fails(ada, image_file, stored_files,
                                                          monkeypatch):
    def broken(member, files):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(actions, "_replace_avatar", broken)
    with pytest.raises(RuntimeError):
        actions.set_avatar(member=ada, file=image_file())
    assert stored_files() == []


def test_guests_cannot_upload_or_remove(client, image_file, stored_files):
    response = upload(client, image_file())
    assert response.status_code == 403 and "Sign in to change your avatar." in \
        response.content.decode()
    assert client.post("/me/profile/avatar/remove/").status_code == 302
    assert stored_files() == []


def test_avatar_forms_need_the_csrf_token(ada, image_file, stored_files):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(ada)
    assert upload(strict, image_file()).status_code == 403
    assert strict.post("/me/profile/avatar/remove/").status_code == 403
    assert stored_files() == []


def test_only_post_changes_the_avatar(client, ada):
    assert client.get(URL).status_code == 405
    assert client.get("/me/profile/avatar/remove/").status_code == 405


def test_an_inactive_member_is_refused_by_the_action(make_member, image_file, stored_files):
    with pytest.raises(Exception, match="Sign in"):
        actions.set_avatar(member=make_member("sleeper", is_active=False), file=image_file())
    assert stored_files() == []


# The generated avatar.


def test_the_generated_avatar_is_an_svg_cached_for_a_year_without_a_query(client):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/members/jo.ann/avatar.svg")
    assert response.status_code == 200 and len(ctx.captured_queries) == 0
    assert response["Content-Type"] == "image/svg+xml"
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response.cookies == {}
    svg = response.content.decode()
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg"') and ">JA</text>" in svg


def test_the_generated_avatar_is_the_same_every_time_and_in_any_letter_case(client):
    first = client.get("/members/mara/avatar.svg").content
    assert client.get("/members/mara/avatar.svg").content == first
    assert client.get("/members/MARA/avatar.svg").content == first
    assert client.get("/members/tomasz/avatar.svg").content != first


@pytest.mark.parametrize("name", ["a b", "<script>", "x%2Fy", "semi;colon"])
def test_a_name_no_member_could_have_is_404(client, name):
    assert client.get(f"/members/{name}/avatar.svg").status_code == 404


@pytest.mark.parametrize(("username", "letters"), [
    ("mara", "M"), ("jo.ann", "JA"), ("tomasz_k", "TK"), ("a-b-c", "AB"), ("élodie", "É"),
    ("x@home", "XH"), ("42", "4"), ("_", "?"), ("straße", "S"),
])
def test_initials(username, letters):
    assert avatars.initials(username) == letters


@given(st.from_regex(r"[\w.@+-]{1,30}", fullmatch=True))
def test_every_generated_colour_has_readable_contrast_with_its_initials(username):
    assert avatars.contrast(avatars.colour(username), avatars.TEXT_COLOUR) >= 4.5


def test_generated_colours_vary_between_members():
    colours = {avatars.colour(f"member{i}") for i in range(50)}
    assert len(colours) > 40


def test_contrast_is_computed_as_wcag_says():
    assert avatars.contrast((0, 0, 0), (255, 255, 255)) == pytest.approx(21)
    assert avatars.contrast((119, 119, 119), (255, 255, 255)) == pytest.approx(4.48, abs=0.01)


def test_the_action_refuses_bytes_over_the_limit_before_decoding(ada, settings, monkeypatch):
    settings.UPLOAD_MAX_BYTES = 10

    def never(data):
        raise AssertionError("decoded")

    monkeypatch.setattr("townsquare.core.images.decode", never)
    with pytest.raises(Exception, match="at most"):
        actions.set_avatar(member=ada, file=SimpleUploadedFile("x.png", b"0" * 11))
    assert User.objects.get(pk=ada.pk).avatar == {}


def test_invalid_is_what_a_bad_image_raises(ada):
    with pytest.raises(Invalid):
        actions.set_avatar(member=ada, file=SimpleUploadedFile("x.png", b"nope"))
