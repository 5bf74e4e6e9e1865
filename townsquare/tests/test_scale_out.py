"""Scale-out as the README describes it: two instances of the site, each with a data folder of
its own (as on two machines), on one database, one Redis (when the suite runs with one), one
SECRET_KEY and one media folder. A member signed in through one instance is signed in on the
other, and an image posted through one is served by the other.

Real `townsquare serve` processes on free ports, on a database of their own: a SQLite file
both open, or a throwaway PostgreSQL database next to the suite's.
"""

import io
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urljoin, urlsplit, urlunsplit

import psycopg
import pytest
import urllib3
from PIL import Image

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "a-long-Passphrase-42"
SEED = f"""
import django

django.setup()
from townsquare.accounts.models import User
from townsquare.forum.actions import start_topic
from townsquare.forum.models import Category

member = User(username="ines", email="ines@example.org")
member.set_password({PASSWORD!r})
member.save()
category = Category.objects.create(title="Harbour", slug="harbour", position=1)
print(start_topic(author=member, category=category, title="The harbour at dawn",
                  body="Pictures welcome.").pk)
"""
# Everything that would tie an instance to the machine's own services or to the test run.
NOT_INHERITED = ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "MEDIA_STORAGE_URL",
                 "TOWNSQUARE_DATA_DIR", "LIVE_STREAM_URL", "CACHE_KEY_PREFIX",
                 "LIVE_REDIS_PREFIX", "DJANGO_SETTINGS_MODULE", "PYTEST_XDIST_WORKER")


@pytest.fixture
def shared_database(tmp_path):
    """The URL of an empty database both instances use: the suite's kind, never its data."""
    suite = os.environ.get("DATABASE_URL", "")
    if not suite.startswith(("postgres://", "postgresql://")):
        yield f"sqlite:///{tmp_path / 'site.sqlite3'}"
        return
    parts = urlsplit(suite)
    name = f"{parts.path.strip('/')}_scale_{secrets.token_hex(4)}"
    server = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(server, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def shared_environment(tmp_path, shared_database, settings):
    """What every instance is given alike, as the README's recipe says."""
    media = tmp_path / "media"
    media.mkdir()
    env = {key: value for key, value in os.environ.items() if key not in NOT_INHERITED}
    env |= {"PYTHONPATH": str(REPO), "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": shared_database, "SECRET_KEY": secrets.token_urlsafe(50),
            "MEDIA_STORAGE_URL": f"file://{media}", "DEBUG": "false", "LOG_LEVEL": "ERROR"}
    prefix = f"scale-{secrets.token_hex(4)}"
    if settings.REDIS_URL:
        env |= {"REDIS_URL": settings.REDIS_URL, "CACHE_KEY_PREFIX": prefix,
                "LIVE_REDIS_PREFIX": f"{prefix}:live"}
    yield env
    if settings.REDIS_URL:
        import redis

        client = redis.Redis.from_url(settings.REDIS_URL)
        for key in client.scan_iter(f"*{prefix}*"):
            client.delete(key)


def townsquare(env: dict, *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "townsquare.cli", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, f"townsquare {args[0]} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def start_instance(tmp_path):
    """Start `townsquare serve` with a data folder of its own; stop them all at the end."""
    started: list[subprocess.Popen] = []

    def start(name: str, env: dict) -> str:
        port = free_port()
        env = env | {"TOWNSQUARE_DATA_DIR": str(tmp_path / name)}
        log = (tmp_path / f"{name}.log").open("w")
        server = subprocess.Popen(
            [sys.executable, "-m", "townsquare.cli", "serve", "--port", str(port),
             "--workers", "1", "--no-worker", "--no-stream"],
            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        started.append(server)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib3.request("GET", base + "/", timeout=2, retries=False)
                return base
            except urllib3.exceptions.HTTPError:
                log.flush()
                assert server.poll() is None, (tmp_path / f"{name}.log").read_text()
                assert time.monotonic() < deadline, f"instance {name} did not start"
                time.sleep(0.2)

    yield start
    for server in started:
        os.killpg(server.pid, signal.SIGTERM)
    for server in started:
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)


class Visitor:
    """A browser's cookies carried from request to request, on any instance."""

    def __init__(self):
        self.cookies: dict[str, str] = {}

    def request(self, method: str, url: str, **kw) -> urllib3.BaseHTTPResponse:
        headers = kw.pop("headers", {}) | {"Referer": url}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        response = urllib3.request(method, url, headers=headers, redirect=False, timeout=30,
                                   retries=False, **kw)
        for line in response.headers.getlist("Set-Cookie"):
            self.cookies |= {name: morsel.value for name, morsel in SimpleCookie(line).items()}
        return response

    def page(self, url: str) -> urllib3.BaseHTTPResponse:
        """GET, following redirects on the same instance (a topic's address to its slug)."""
        response = self.request("GET", url)
        for _ in range(5):
            if response.status not in (301, 302, 303):
                break
            response = self.request("GET", urljoin(url, response.headers["Location"]))
        return response

    def form_post(self, url: str, fields: dict, **kw) -> urllib3.BaseHTTPResponse:
        fields = {"csrfmiddlewaretoken": self.cookies["csrftoken"]} | fields
        return self.request("POST", url, fields=fields, **kw)


def png() -> bytes:
    image = Image.new("RGB", (64, 48), (200, 80, 40))
    image.paste((20, 40, 160), (0, 0, 16, 48))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def test_a_member_signed_in_and_an_image_posted_on_one_instance_are_known_to_another(
        shared_environment, start_instance):
    townsquare(shared_environment, "migrate", "--no-input", "-v", "0")
    topic = int(townsquare(shared_environment, "shell", "-v", "0", "-c", SEED).strip())
    first = start_instance("first", shared_environment)
    second = start_instance("second", shared_environment)

    member = Visitor()
    member.request("GET", f"{first}/signin/")
    signed_in = member.form_post(f"{first}/signin/", {"username": "ines", "password": PASSWORD})
    assert signed_in.status == 302, signed_in.data.decode()
    uploaded = member.form_post(f"{first}/uploads/", {"image": ("dawn.png", png(), "image/png")},
                                headers={"Accept": "application/json"})
    assert uploaded.status == 201, uploaded.data.decode()
    page = member.page(f"{first}/t/{topic}/x/").data.decode()
    token = re.search(r'name="submit_token" value="([^"]+)"', page).group(1)
    replied = member.form_post(f"{first}/t/{topic}/reply/", {
        "body": f"From the pier this morning: {uploaded.json()['markdown']}",
        "submit_token": token})
    assert replied.status == 303, replied.data.decode()

    # The same browser, its requests now sent to the other instance.
    page = member.page(f"{second}/t/{topic}/x/")
    assert page.status == 200
    html = page.data.decode()
    assert 'href="/u/ines/">ines</a>' in html and "Sign out" in html
    assert "From the pier this morning" in html
    image = re.search(r'<img[^>]+src="(/media/uploads/[^"]+)"', html).group(1)
    served = member.request("GET", second + image)
    assert served.status == 200
    assert served.data == member.request("GET", first + image).data
    assert served.data[:4] == b"RIFF" and served.data[8:12] == b"WEBP"
