"""A local web server for the news desk's tests (the machine running them has no internet):
feeds, article pages and images are served from a table of routes the test fills in."""

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    content_type: str = "application/xml"
    etag: str = ""
    last_modified: str = ""
    location: str = ""
    delay: float = 0.0
    # Stream this many bytes (after `body`) without a Content-Length.
    endless: int = 0
    headers: dict = field(default_factory=dict)


class FeedServer:
    def __init__(self):
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict]] = []
        server = self
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(server))
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def add(self, path: str, body: bytes | str = b"", **options) -> str:
        if isinstance(body, str):
            body = body.encode()
        self.routes[path] = Route(body=body, **options)
        return self.url(path)

    def hits(self, path: str) -> list[dict]:
        return [headers for p, headers in self.requests if p == path]

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def _handler(server: FeedServer):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            server.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
            route = server.routes.get(self.path)
            if route is None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if route.delay:
                time.sleep(route.delay)
            if route.etag and self.headers.get("If-None-Match") == route.etag or (
                    route.last_modified
                    and self.headers.get("If-Modified-Since") == route.last_modified):
                self.send_response(304)
                self.end_headers()
                return
            self.send_response(route.status)
            if route.location:
                self.send_header("Location", route.location)
            self.send_header("Content-Type", route.content_type)
            if route.etag:
                self.send_header("ETag", route.etag)
            if route.last_modified:
                self.send_header("Last-Modified", route.last_modified)
            for name, value in route.headers.items():
                self.send_header(name, value)
            if not route.endless:
                self.send_header("Content-Length", str(len(route.body)))
            self.end_headers()
            try:
                self.wfile.write(route.body)
                chunk = b"x" * 65536
                for _ in range(route.endless // len(chunk)):
                    self.wfile.write(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass

    return Handler


@pytest.fixture
def feed_server(settings):
    settings.NEWS_FETCH_ALLOW_PRIVATE = True
    settings.NEWS_FETCH_TIMEOUT = 2.0
    server = FeedServer()
    yield server
    server.close()


def rss(*items: dict, title: str = "The Daily Ledger") -> str:
    """An RSS 2.0 document with `items` (title, link, guid, description, pubDate, image)."""
    parts = []
    for item in items:
        image = (f'<media:content url="{item["image"]}" medium="image"/>'
                 if item.get("image") else "")
        parts.append(
            "<item>"
            f"<title>{item.get('title', '')}</title>"
            f"<link>{item.get('link', '')}</link>"
            f"<guid>{item.get('guid', item.get('link', ''))}</guid>"
            f"<description>{item.get('description', '')}</description>"
            f"<pubDate>{item.get('pubDate', 'Thu, 03 Jul 2025 08:00:00 GMT')}</pubDate>"
            f"{image}</item>")
    return ('<?xml version="1.0" encoding="utf-8"?>'
            '<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel>'
            f"<title>{title}</title><link>https://ledger.example/</link>"
            f"<description>News</description>{''.join(parts)}</channel></rss>")


def article_page(title: str, paragraphs: list[str], *, canonical: str = "",
                 image: str = "") -> str:
    head = f'<link rel="canonical" href="{canonical}">' if canonical else ""
    if image:
        head += f'<meta property="og:image" content="{image}">'
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (f"<!doctype html><html><head><title>{title}</title>{head}</head><body>"
            "<nav><a href='/'>Home</a> <a href='/world'>World</a></nav>"
            f"<article><h1>{title}</h1>{body}</article>"
            "<footer>Copyright the Ledger. Subscribe now.</footer></body></html>")
