"""Serving stored files: strict headers, nothing outside storage, a bucket's address for a
bucket; and an image belongs to the post that shows it: readers who may not see the post get
the answer a missing file gets, and shared caches never keep an image not everyone may see."""

import re

import pytest
from django.core.files.storage import default_storage
from django.test import Client

from townsquare.forum.actions import post_reply
from townsquare.forum.models import Post
from townsquare.uploads.actions import store_image
from townsquare.uploads.models import Upload

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture
def member_client(client, make_member):
    client.force_login(make_member())
    return client


def test_the_stored_file_is_served_with_strict_headers(member_client, image_file):
    data = member_client.post("/uploads/", {"image": image_file()}, **JSON).json()
    for url in (data["url"], data["thumbnail_url"]):
        served = member_client.get(url)
        assert served.status_code == 200
        assert served["Content-Type"] == "image/webp"
        assert served["Cache-Control"] == "public, max-age=31536000, immutable"
        assert served["X-Content-Type-Options"] == "nosniff"
        assert served["Content-Security-Policy"] == "default-src 'none'; sandbox"
        with default_storage.open(url.removeprefix("/media/")) as f:
            assert b"".join(served.streaming_content) == f.read()
    assert member_client.head(data["url"]).status_code == 200


@pytest.fixture
def secret(media):
    """A file next to MEDIA_ROOT, which no /media/ URL may reach."""
    path = media.parent / "secret.txt"
    path.write_text("TOP-SECRET")
    (media / "uploads").mkdir()
    return path


@pytest.mark.parametrize("path", [
    "../secret.txt", "uploads/../../secret.txt", "%2e%2e/secret.txt", "..%2fsecret.txt",
    "uploads/%2e%2e/%2e%2e/secret.txt", "..\\secret.txt", "/{secret}", "{secret}",
])
def test_media_paths_outside_storage_are_404(client, secret, path):
    response = client.get("/media/" + path.format(secret=secret))
    assert response.status_code == 404
    assert b"TOP-SECRET" not in response.content


@pytest.mark.parametrize("path", ["uploads/2026/11/none.webp", "uploads/", "uploads", "",
                                  "nothing-here"])
def test_missing_media_is_404(client, secret, path):
    assert client.get(f"/media/{path}").status_code == 404


def test_with_a_remote_storage_media_urls_redirect_to_it(member_client, image_file, bucket):
    data = member_client.post("/uploads/", {"image": image_file()}, **JSON).json()
    stored = Upload.objects.get()
    assert bucket.exists(stored.file) and bucket.exists(stored.thumbnail)
    response = member_client.get(data["url"])
    assert response.status_code == 302
    assert response["Location"] == f"https://bucket.example/town/{stored.file}"
    assert member_client.get("/media/../secret.txt").status_code == 404


# Images of posts.


@pytest.fixture
def room_image(make_member, make_category, make_topic, image_file):
    mod = make_member(role="moderator")
    room = make_category(read_role="moderator", start_role="moderator")
    upload = store_image(owner=mod, file=image_file())
    make_topic(author=mod, category=room, body=f"![plan]({upload.url})")
    upload.refresh_from_db()
    assert upload.post is not None
    return {"mod": mod, "upload": upload}


def page(response) -> str:
    """The page, its one-time CSRF token aside."""
    return re.sub(r'value="\w{64}"', "", response.content.decode())


def fetch(user, name):
    client = Client()
    if user is not None:
        client.force_login(user)
    return client.get(f"/media/{name}")


def test_an_image_of_a_private_post_is_missing_for_those_who_cannot_see_the_post(
        room_image, make_member):
    upload = room_image["upload"]
    for user in (None, make_member()):
        for name in (upload.file, upload.thumbnail):
            response = fetch(user, name)
            assert response.status_code == 404
            missing = fetch(user, "uploads/2021/01/none.webp")
            assert page(response) == page(missing)


def test_its_readers_get_it_kept_out_of_shared_caches(room_image):
    response = fetch(room_image["mod"], room_image["upload"].file)
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("private")


def test_a_public_image_stays_cacheable_by_anyone_and_unattached_ones_are_served(
        room_image, make_member, make_topic, image_file):
    member = make_member()
    upload = store_image(owner=member, file=image_file(colour=(1, 2, 3)))
    assert fetch(None, upload.file).status_code == 200  # in a draft: no post yet
    post_reply(author=member, topic=make_topic(), body=f"![x]({upload.url})")
    response = fetch(None, upload.file)
    assert response.status_code == 200 and "immutable" in response["Cache-Control"]
    Post.objects.filter(uploads=upload).update(hidden=True)
    assert fetch(member, upload.file).status_code == 404
