"""Uploading over HTTP (the editor's JSON and the plain form) and serving stored files."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from config.settings import _media_storage

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def png(size=(40, 30)) -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 120, 60)).save(out, "PNG")
    return SimpleUploadedFile("marsh.png", out.getvalue(), content_type="image/png")


def test_the_editor_gets_json_with_the_markdown_to_insert(client, make_member):
    client.force_login(make_member())
    response = client.post("/uploads/", {"image": png(), "alt": "The marsh [at dawn]"},
                           HTTP_ACCEPT="application/json")
    assert response.status_code == 201
    data = response.json()
    assert data["markdown"] == f"![The marsh at dawn]({data['url']})"
    assert data["url"].startswith("/media/uploads/") and (data["width"], data["height"]) == (40, 30)
    served = client.get(data["url"])
    assert served.status_code == 200 and served["Content-Type"] == "image/webp"
    assert served["Cache-Control"] == "public, max-age=31536000, immutable"
    assert served["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in served["Content-Security-Policy"]


def test_refusals_are_json_with_the_right_status(client, make_member, settings):
    client.force_login(make_member())
    bad = client.post("/uploads/", {"image": SimpleUploadedFile("x.png", b"hello")},
                      HTTP_ACCEPT="application/json")
    assert bad.status_code == 400 and "not an image" in bad.json()["error"]
    missing = client.post("/uploads/", {}, HTTP_ACCEPT="application/json")
    assert missing.status_code == 400 and "Choose an image" in missing.json()["error"]
    settings.UPLOAD_MAX_BYTES = 100
    big = client.post("/uploads/", {"image": png((200, 200))}, HTTP_ACCEPT="application/json")
    assert big.status_code == 413


def test_guests_cannot_upload(client):
    response = client.post("/uploads/", {"image": png()}, HTTP_ACCEPT="application/json")
    assert response.status_code == 403
    assert client.get("/uploads/new/").status_code == 403


def test_the_plain_form_shows_the_markdown_to_paste(client, make_member):
    client.force_login(make_member())
    assert 'enctype="multipart/form-data"' in client.get("/uploads/new/").content.decode()
    response = client.post("/uploads/", {"image": png(), "alt": "Marsh"})
    assert response.status_code == 201
    assert "![Marsh](/media/uploads/" in response.content.decode()


@pytest.mark.parametrize("path", ["../secret_key", "..%2F..%2Fetc%2Fpasswd", "uploads/none.webp",
                                  "uploads/"])
def test_media_paths_outside_storage_or_missing_are_404(client, path):
    assert client.get(f"/media/{path}").status_code == 404


def test_media_storage_setting_reads_an_s3_url():
    assert _media_storage("") == {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    storage = _media_storage("s3://town-media?endpoint_url=https://s3.example.net&region=eu-1")
    assert storage == {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {
        "bucket_name": "town-media", "file_overwrite": False, "querystring_auth": False,
        "endpoint_url": "https://s3.example.net", "region_name": "eu-1"}}
    with pytest.raises(ValueError):
        _media_storage("ftp://files.example")
