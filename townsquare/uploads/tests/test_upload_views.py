"""Uploading over HTTP (the editor's JSON and the plain form), and where files are stored."""

import json
import runpy
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from config.settings import _media_storage
from townsquare.uploads import actions
from townsquare.uploads.models import Upload

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}
SETTINGS_FILE = Path(__file__).resolve().parents[3] / "config" / "settings.py"
BROWSER = {"HTTP_ACCEPT": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


@pytest.fixture
def member_client(client, make_member):
    client.force_login(make_member())
    return client


def test_the_editor_gets_json_with_the_markdown_to_insert(member_client, image_file):
    response = member_client.post("/uploads/", {"image": image_file(size=(40, 30)),
                                                "alt": "The marsh [at dawn](x)\\"}, **JSON)
    assert response.status_code == 201 and response["Content-Type"] == "application/json"
    data = response.json()
    stored = Upload.objects.get()
    assert data == {"id": stored.pk, "url": f"/media/{stored.file}",
                    "thumbnail_url": f"/media/{stored.thumbnail}", "width": 40, "height": 30,
                    "markdown": f"![The marsh at dawn x]({stored.url})"}


def test_a_client_that_accepts_anything_gets_json(member_client, image_file):
    response = member_client.post("/uploads/", {"image": image_file()}, HTTP_ACCEPT="*/*")
    assert response.status_code == 201 and response.json()["markdown"].startswith("![image](")


@pytest.mark.parametrize("post, status, message", [
    ({"image": SimpleUploadedFile("x.png", b"hello")}, 400, "not an image"),
    ({"image": SimpleUploadedFile("x.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>")},
     400, "not an image"),
    ({}, 400, "Choose an image file"),
    ({"picture": SimpleUploadedFile("x.png", b"hello")}, 400, "Choose an image file"),
])
def test_refusals_are_json_with_the_right_status(member_client, post, status, message):
    response = member_client.post("/uploads/", post, **JSON)
    assert response.status_code == status and message in response.json()["error"]
    assert not Upload.objects.exists()


def test_an_image_over_the_byte_limit_is_413(member_client, image_file, settings):
    settings.UPLOAD_MAX_BYTES = 100
    response = member_client.post("/uploads/", {"image": image_file(size=(200, 200))}, **JSON)
    assert response.status_code == 413 and "at most" in response.json()["error"]


def test_a_body_far_over_the_limit_is_refused_before_it_is_read(member_client, settings,
                                                                monkeypatch):
    settings.UPLOAD_MAX_BYTES = 1000

    def never(**kwargs):
        raise AssertionError("the upload reached the action")

    monkeypatch.setattr(actions, "store_image", never)
    huge = SimpleUploadedFile("huge.png", b"\x89PNG" + b"0" * 200_000)
    response = member_client.post("/uploads/", {"image": huge}, **JSON)
    assert response.status_code == 413
    assert response.json() == {"error": "Images can be at most 1 KB."}


def test_uploading_too_often_is_429(member_client, image_file, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "upload": (1, 60)}
    assert member_client.post("/uploads/", {"image": image_file()}, **JSON).status_code == 201
    again = member_client.post("/uploads/", {"image": image_file(size=(9, 9))}, **JSON)
    assert again.status_code == 429 and "too often" in again.json()["error"]
    assert 1 <= int(again["Retry-After"]) <= 60 and "Try again in" in again.json()["error"]


def test_guests_cannot_upload(client, image_file):
    response = client.post("/uploads/", {"image": image_file()}, **JSON)
    assert response.status_code == 403 and "Sign in" in response.json()["error"]
    page = client.post("/uploads/", {"image": image_file()}, **BROWSER)
    assert page.status_code == 403 and "Sign in to upload images." in page.content.decode()
    assert client.get("/uploads/new/").status_code == 403
    assert not Upload.objects.exists()


def test_uploads_need_the_csrf_token(make_member, image_file):
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_member())
    refused = client.post("/uploads/", {"image": image_file()}, **JSON)
    assert refused.status_code == 403 and not Upload.objects.exists()
    client.get("/uploads/new/")  # sets the CSRF cookie, as the page a form comes from does
    token = client.cookies["csrftoken"].value
    accepted = client.post("/uploads/", {"image": image_file()}, HTTP_X_CSRFTOKEN=token, **JSON)
    assert accepted.status_code == 201


def test_only_post_takes_uploads(member_client):
    assert member_client.get("/uploads/").status_code == 405


def test_the_plain_form_page_works_without_script(member_client):
    page = member_client.get("/uploads/new/").content.decode()
    assert 'enctype="multipart/form-data"' in page and 'name="csrfmiddlewaretoken"' in page
    assert '<label for="id_image">' in page and '<label for="id_alt">' in page
    assert "At most 8 MB" in page and "<script>" not in page


def test_the_plain_form_shows_the_markdown_to_paste_and_the_image(member_client, image_file):
    response = member_client.post("/uploads/", {"image": image_file(size=(50, 40)),
                                                "alt": "Marsh"}, **BROWSER)
    assert response.status_code == 201 and response["Content-Type"].startswith("text/html")
    stored = Upload.objects.get()
    page = response.content.decode()
    assert f'value="![Marsh]({stored.url})"' in page
    assert f'<img src="{stored.url}" width="50" height="40"' in page


def test_the_plain_form_shows_a_refusal_in_the_page(member_client):
    response = member_client.post("/uploads/", {"image": SimpleUploadedFile("x.png", b"hi")},
                                  **BROWSER)
    assert response.status_code == 400
    page = response.content.decode()
    assert 'role="alert"' in page and "not an image we can read" in page
    assert 'enctype="multipart/form-data"' in page  # the form is there to try again


def test_with_a_remote_storage_pruning_deletes_there(make_member, image_file, bucket):
    stored = actions.store_image(owner=make_member(), file=image_file())
    Upload.objects.update(created=stored.created - timedelta(days=2))
    assert actions.delete_orphan_uploads(older_than=timedelta(hours=24)) == 1
    assert not bucket.exists(stored.file) and not bucket.exists(stored.thumbnail)


def test_media_storage_setting_is_local_files_by_default_a_shared_folder_or_an_s3_bucket(
        tmp_path):
    assert _media_storage("") == {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    shared = tmp_path / "shared media"
    shared.mkdir()
    for url in (f"file://{shared}", f"file://localhost{shared}".replace(" ", "%20")):
        assert _media_storage(url) == {"BACKEND": "django.core.files.storage.FileSystemStorage",
                                       "OPTIONS": {"location": str(shared)}}
    storage = _media_storage("s3://town-media?endpoint_url=https://s3.example.net&region=eu-1")
    assert storage == {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {
        "bucket_name": "town-media", "file_overwrite": False, "querystring_auth": False,
        "endpoint_url": "https://s3.example.net", "region_name": "eu-1"}}
    assert _media_storage("s3://b?custom_domain=img.example.net&location=media")["OPTIONS"] == {
        "bucket_name": "b", "file_overwrite": False, "querystring_auth": False,
        "custom_domain": "img.example.net", "location": "media"}


@pytest.mark.parametrize("url, reason", [
    ("ftp://files.example", "must look like s3://bucket.* or file:///path"),
    ("s3://", "must look like s3://"),
    ("s3://bucket?regoin=eu-1", "unknown options: regoin"),
    ("file://nfs-server/media", "must name a folder by its absolute path"),
    ("file:relative/media", "must name a folder by its absolute path"),
    ("file:///srv/media?mode=shared", "must name a folder by its absolute path"),
    ("file:///no/such/townsquare-media", "not a folder on this machine: create or mount it"),
])
def test_a_media_storage_url_that_cannot_work_stops_startup(url, reason):
    with pytest.raises(ValueError, match=reason):
        _media_storage(url)


def test_a_shared_media_folder_is_media_root_too(tmp_path, monkeypatch):
    monkeypatch.setenv("TOWNSQUARE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MEDIA_STORAGE_URL", f"file://{tmp_path}")
    values = runpy.run_path(str(SETTINGS_FILE))
    assert values["MEDIA_ROOT"] == tmp_path
    monkeypatch.delenv("MEDIA_STORAGE_URL")
    values = runpy.run_path(str(SETTINGS_FILE))
    assert values["MEDIA_ROOT"] == tmp_path / "data" / "media"


def test_json_refusals_never_leak_a_traceback(member_client, bomb_png):
    response = member_client.post(
        "/uploads/", {"image": SimpleUploadedFile("b.png", bomb_png(50_000, 50_000))}, **JSON)
    assert response.status_code == 400
    assert json.loads(response.content) == {"error": (
        "That image is too large to process (at most 40 megapixels and 12,000 pixels a side).")}
