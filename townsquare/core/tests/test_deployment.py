"""Deployment settings: the production environment passes Django's deploy checks, and the
defaults stay those of a developer's machine (plain HTTP, no redirect, no HSTS)."""

import os
import runpy
import secrets
import subprocess
import sys

import pytest
from django.conf import settings

SETTINGS_FILE = settings.BASE_DIR / "config" / "settings.py"
SECURITY_VARIABLES = ("SECURE_COOKIES", "SECURE_PROXY_SSL_HEADER", "SECURE_SSL_REDIRECT",
                      "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS",
                      "SECURE_HSTS_PRELOAD", "DEBUG")
YEAR = 365 * 24 * 3600


def production_environment(data_dir) -> dict[str, str]:
    """What the production checklist asks an operator behind an HTTPS proxy to set."""
    return {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DEBUG": "false",
        "ALLOWED_HOSTS": "forum.example.org",
        "SITE_URL": "https://forum.example.org",
        "SECURE_COOKIES": "true",
        "SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
        "SECURE_HSTS_PRELOAD": "true",
        "EMAIL_URL": "smtp://townsquare:secret@mail.example.org:587/?tls=True",
        "LIVE_STREAM_URL": "https://forum.example.org",
        "LIVE_ALLOWED_ORIGINS": "https://forum.example.org",
        "TOWNSQUARE_DATA_DIR": str(data_dir),
    }


def test_the_production_environment_passes_the_deploy_checks(tmp_path):
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(settings.BASE_DIR),
           "DJANGO_SETTINGS_MODULE": "config.settings", **production_environment(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "townsquare.cli", "check", "--deploy",
                           "--fail-level", "WARNING"], cwd=settings.BASE_DIR, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout


def settings_with(monkeypatch, tmp_path, **variables) -> dict:
    """The settings module's values when run with `variables` and no other security ones."""
    for name in SECURITY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TOWNSQUARE_DATA_DIR", str(tmp_path))
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(SETTINGS_FILE))


def test_by_default_the_site_speaks_plain_http(monkeypatch, tmp_path):
    values = settings_with(monkeypatch, tmp_path)
    assert values["SECURE_SSL_REDIRECT"] is False
    assert values["SECURE_HSTS_SECONDS"] == 0
    assert values["SECURE_PROXY_SSL_HEADER"] is None
    assert values["SESSION_COOKIE_SECURE"] is False and values["CSRF_COOKIE_SECURE"] is False


def test_the_running_tests_neither_redirect_nor_send_hsts():
    assert not settings.SECURE_SSL_REDIRECT and not settings.SECURE_HSTS_SECONDS


def test_secure_cookies_behind_a_proxy_turn_on_hsts_and_the_redirect(monkeypatch, tmp_path):
    values = settings_with(monkeypatch, tmp_path, SECURE_COOKIES="true",
                           SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto")
    assert values["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https")
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] == YEAR
    # Both widen HSTS past this host or hand it to browser vendors: an operator's choice.
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is False
    assert values["SECURE_HSTS_PRELOAD"] is False


def test_without_the_proxy_header_plain_http_is_not_redirected_in_a_loop(monkeypatch,
                                                                         tmp_path):
    values = settings_with(monkeypatch, tmp_path, SECURE_COOKIES="true")
    assert values["SECURE_SSL_REDIRECT"] is False
    assert values["SECURE_HSTS_SECONDS"] == YEAR


def test_each_security_setting_can_be_set_on_its_own(monkeypatch, tmp_path):
    values = settings_with(monkeypatch, tmp_path, SECURE_COOKIES="true",
                           SECURE_PROXY_SSL_HEADER="X-Forwarded-Ssl=on",
                           SECURE_SSL_REDIRECT="false", SECURE_HSTS_SECONDS="300",
                           SECURE_HSTS_INCLUDE_SUBDOMAINS="true", SECURE_HSTS_PRELOAD="true")
    assert values["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_SSL", "on")
    assert values["SECURE_SSL_REDIRECT"] is False
    assert values["SECURE_HSTS_SECONDS"] == 300
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["SECURE_HSTS_PRELOAD"] is True


def test_a_proxy_header_that_is_not_a_header_name_is_refused(monkeypatch, tmp_path):
    with pytest.raises(ValueError, match="SECURE_PROXY_SSL_HEADER must be a header name"):
        settings_with(monkeypatch, tmp_path, SECURE_PROXY_SSL_HEADER="X Forwarded Proto")


@pytest.mark.django_db
def test_behind_the_proxy_a_forwarded_https_request_is_secure_and_gets_hsts(client, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = YEAR
    assert client.get("/").status_code == 301
    response = client.get("/", headers={"X-Forwarded-Proto": "https"})
    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == f"max-age={YEAR}"
