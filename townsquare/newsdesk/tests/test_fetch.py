"""Fetching other sites safely: schemes, private addresses, redirects, size and time limits."""

import gzip
import io
import socket

import pytest
import urllib3

from townsquare.core.fetch import FetchError, check_url, fetch, is_public, public_address


@pytest.mark.parametrize("url", ["ftp://example.com/feed", "file:///etc/passwd",
                                 "gopher://example.com/", "javascript:alert(1)", "example.com"])
def test_only_http_and_https(url):
    with pytest.raises(FetchError, match="Only http:// and https://"):
        check_url(url)


def test_credentials_in_the_url_are_refused():
    with pytest.raises(FetchError, match="user name or password"):
        check_url("http://user:secret@example.com/feed")


@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "192.168.0.10", "172.16.5.4",
                                     "169.254.169.254", "::1", "fc00::1", "fe80::1", "0.0.0.0",
                                     "100.64.0.1", "::ffff:127.0.0.1", "224.0.0.1"])
def test_private_and_local_addresses_are_not_public(address):
    assert not is_public(address)


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:4700::6810:84e5", "8.8.8.8"])
def test_public_addresses(address):
    assert is_public(address)


def test_loopback_is_refused_unless_allowed(feed_server, settings):
    url = feed_server.add("/feed.xml", "<rss/>")
    settings.NEWS_FETCH_ALLOW_PRIVATE = False
    with pytest.raises(FetchError, match="private or local address"):
        fetch(url)
    assert feed_server.requests == []  # refused before connecting
    settings.NEWS_FETCH_ALLOW_PRIVATE = True
    assert fetch(url).body == b"<rss/>"


def test_localhost_by_name_is_refused(settings):
    settings.NEWS_FETCH_ALLOW_PRIVATE = False
    with pytest.raises(FetchError, match="private or local address"):
        fetch("http://localhost:9/feed")


def test_a_redirect_to_a_private_address_is_refused(feed_server, settings):
    # The first hop is allowed (the test server), the second points inside the network.
    url = feed_server.add("/go", status=302, location="http://10.0.0.7/admin")
    settings.NEWS_FETCH_ALLOW_PRIVATE = False
    with pytest.raises(FetchError, match="private or local"):
        fetch(url)
    settings.NEWS_FETCH_ALLOW_PRIVATE = True


def test_redirects_are_followed_a_few_times(feed_server):
    feed_server.add("/a", status=301, location="/b")
    feed_server.add("/b", status=302, location=feed_server.url("/c"))
    feed_server.add("/c", "done", content_type="text/plain")
    got = fetch(feed_server.url("/a"))
    assert got.body == b"done" and got.url == feed_server.url("/c")


def test_redirecting_forever_stops(feed_server):
    feed_server.add("/loop", status=302, location="/loop")
    with pytest.raises(FetchError, match="Too many redirects"):
        fetch(feed_server.url("/loop"))
    assert len(feed_server.hits("/loop")) == 6


def test_a_huge_body_is_cut_off(feed_server, settings):
    settings.NEWS_FETCH_MAX_BYTES = 100_000
    feed_server.add("/declared", b"x" * 200_000)
    with pytest.raises(FetchError, match="too large"):
        fetch(feed_server.url("/declared"))
    feed_server.add("/streamed", endless=10_000_000)  # no Content-Length
    with pytest.raises(FetchError, match="too large"):
        fetch(feed_server.url("/streamed"))


def test_a_gzip_bomb_stops_at_the_cap(feed_server, settings):
    settings.NEWS_FETCH_MAX_BYTES = 100_000
    bomb = gzip.compress(b"\0" * 5_000_000)
    assert len(bomb) < 10_000
    feed_server.add("/bomb", bomb, headers={"Content-Encoding": "gzip"})
    with pytest.raises(FetchError, match="too large"):
        fetch(feed_server.url("/bomb"))


def test_a_slow_server_times_out(feed_server, settings):
    settings.NEWS_FETCH_TIMEOUT = 0.3
    feed_server.add("/slow", "late", delay=1.0)
    with pytest.raises(FetchError, match="did not answer within"):
        fetch(feed_server.url("/slow"))


def test_errors_and_unknown_hosts_say_what_happened(feed_server):
    with pytest.raises(FetchError, match="answered 404"):
        fetch(feed_server.url("/missing"))
    with pytest.raises(FetchError, match="could not be found"):
        fetch("http://no-such-host.invalid/feed")


def test_conditional_requests_get_304(feed_server):
    feed_server.add("/feed", "<rss/>", etag='"v1"')
    first = fetch(feed_server.url("/feed"))
    assert first.status == 200 and first.headers["etag"] == '"v1"'
    again = fetch(feed_server.url("/feed"), headers={"If-None-Match": '"v1"'})
    assert again.status == 304 and again.body == b""


# What the fake resolver answers for names; anything else is read as a number by the system's
# own resolver (AI_NUMERICHOST: never a lookup), so no test here needs a network.
NAMES = {
    "news.example": ["93.184.216.34"],
    "localhost": ["127.0.0.1", "::1"],
    "nat64.example": ["64:ff9b::808:808"],
    "inside-nat64.example": ["64:ff9b::a00:7"],
    "sixtofour.example": ["2002:a9fe:a9fe::1"],
    "half-inside.example": ["93.184.216.34", "10.0.0.7"],
}
REAL_GETADDRINFO = socket.getaddrinfo


def fake_getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
    name = host.removesuffix(".")  # a fully qualified name is the same name
    if name not in NAMES:
        return REAL_GETADDRINFO(host, port, family, type, proto, flags | socket.AI_NUMERICHOST)
    return [(socket.AF_INET6 if ":" in address else socket.AF_INET, socket.SOCK_STREAM, 6, "",
             (address, port)) for address in NAMES[name]]


@pytest.fixture
def resolver(monkeypatch, settings):
    settings.NEWS_FETCH_ALLOW_PRIVATE = False
    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)


REFUSED = None
# (URL, the address the connection goes to, or REFUSED)
SPELLINGS = [
    ("http://127.0.0.1/", REFUSED),
    ("http://2130706433/", REFUSED),  # decimal
    ("http://0177.0.0.1/", REFUSED),  # octal
    ("http://0x7f.1/", REFUSED),  # hex, short
    ("http://0X7F000001/", REFUSED),
    ("http://017700000001/", REFUSED),
    ("http://127.1/", REFUSED),
    ("http://127.0.0.1./", REFUSED),  # trailing dot
    ("http://0/", REFUSED),  # 0.0.0.0
    ("http://012.0.0.1/", REFUSED),  # 10.0.0.1
    ("http://0xa9fea9fe/", REFUSED),  # 169.254.169.254, cloud metadata
    ("http://169.254.169.254/", REFUSED),
    ("http://100.64.0.1/", REFUSED),
    ("http://192.168.1.1:8080/", REFUSED),
    ("http://224.0.0.1/", REFUSED),
    ("http://１２７.0.0.1/", REFUSED),  # full-width digits
    ("http://[::1]/", REFUSED),
    ("http://[0:0:0:0:0:0:0:1]/", REFUSED),
    ("http://[::]/", REFUSED),
    ("http://[::ffff:127.0.0.1]/", REFUSED),  # IPv4-mapped
    ("http://[::ffff:7f00:1]/", REFUSED),
    ("http://[::ffff:10.0.0.1]/", REFUSED),
    ("http://[64:ff9b::7f00:1]/", REFUSED),  # NAT64
    ("http://[64:ff9b::169.254.169.254]/", REFUSED),
    ("http://[64:ff9b:1::1]/", REFUSED),  # local-use NAT64: cannot be read
    ("http://[64:ff9b:1::808:808]/", REFUSED),
    ("http://[64:ff9b:1:ffff::a00:1]/", REFUSED),
    ("http://[2002:7f00:1::1]/", REFUSED),  # 6to4
    ("http://[2002:a9fe:a9fe::]/", REFUSED),
    ("http://[::7f00:1]/", REFUSED),  # IPv4-compatible
    ("http://[::10.0.0.1]/", REFUSED),
    ("http://[::ffff:0:7f00:1]/", REFUSED),  # IPv4-translated
    ("http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/", REFUSED),  # Teredo, client 127.0.0.1
    ("http://[2001:0:a00:1:8000:63bf:f7f7:f7f7]/", REFUSED),  # Teredo, server 10.0.0.1
    ("http://[fe80::1%25eth0]/", REFUSED),  # zone, as URLs write it
    ("http://[fe80::1%eth0]:8080/", REFUSED),
    ("http://[fc00::1]/", REFUSED),
    ("http://[fec0::1]/", REFUSED),  # site-local
    ("http://[ff0e::1]/", REFUSED),  # multicast
    ("http://[2001:db8::1]/", REFUSED),
    ("http://localhost/", REFUSED),
    ("http://LOCALHOST./", REFUSED),
    ("http://inside-nat64.example/", REFUSED),
    ("http://sixtofour.example/", REFUSED),
    ("http://half-inside.example/", REFUSED),
    ("http://8.8.8.8/", "8.8.8.8"),
    ("http://134744072/", "8.8.8.8"),
    ("http://0x8.0x8.0x8.0x8/", "8.8.8.8"),
    ("http://010.010.010.010/", "8.8.8.8"),
    ("http://8.8.2056/", "8.8.8.8"),
    ("http://8.8.8.8./", "8.8.8.8"),
    ("http://[2606:4700::6810:84e5]/", "2606:4700::6810:84e5"),
    ("http://[::ffff:8.8.8.8]/", "::ffff:808:808"),
    ("http://[64:ff9b::8.8.8.8]/", "64:ff9b::808:808"),
    ("http://[2002:808:808::1]/", "2002:808:808::1"),
    ("http://[2001:0:4136:e378:8000:63bf:f7f7:f7f7]/", "2001:0:4136:e378:8000:63bf:f7f7:f7f7"),
    ("http://news.example/", "93.184.216.34"),
    ("http://news.example./", "93.184.216.34"),
    ("http://nat64.example/", "64:ff9b::808:808"),
]


@pytest.mark.parametrize(("url", "connects_to"), SPELLINGS, ids=[url for url, _ in SPELLINGS])
def test_every_spelling_of_an_address_is_judged_by_its_value(resolver, url, connects_to):
    _, host, port = check_url(url)
    if connects_to is REFUSED:
        with pytest.raises(FetchError, match="private or local address"):
            public_address(host, port)
    else:
        assert public_address(host, port) == connects_to


class RecordingPool:
    """Stands in for urllib3's connection pool: notes where it was sent, answers 200."""

    opened: list = []

    def __init__(self, host, port, **options):
        self.opened.append((host, port))

    def urlopen(self, method, target, headers, **options):
        return urllib3.HTTPResponse(body=io.BytesIO(b"<rss/>"), status=200,
                                    preload_content=False)


@pytest.mark.parametrize(("url", "address"), [("http://0x8.0x8.0x8.0x8/feed", "8.8.8.8"),
                                              ("http://nat64.example/feed", "64:ff9b::808:808"),
                                              ("http://[::ffff:8.8.8.8]:8080/", "::ffff:808:808")])
def test_the_connection_goes_to_the_address_that_was_checked(resolver, monkeypatch, url,
                                                            address):
    monkeypatch.setattr(urllib3, "HTTPConnectionPool", RecordingPool)
    monkeypatch.setattr(RecordingPool, "opened", [])
    assert fetch(url).body == b"<rss/>"
    assert RecordingPool.opened == [(address, check_url(url)[2])]


@pytest.mark.parametrize("url", ["http://[64:ff9b::7f00:1]/", "http://0177.1/",
                                 "http://[2002:a00:1::1]/"])
def test_a_refused_spelling_opens_no_connection(resolver, monkeypatch, url):
    monkeypatch.setattr(urllib3, "HTTPConnectionPool", RecordingPool)
    monkeypatch.setattr(RecordingPool, "opened", [])
    with pytest.raises(FetchError, match="private or local address"):
        fetch(url)
    assert RecordingPool.opened == []


def test_other_spellings_of_loopback_reach_a_local_source_only_when_allowed(feed_server,
                                                                            settings):
    feed_server.add("/feed.xml", "<rss/>")
    port = feed_server.httpd.server_address[1]
    for host in ("0177.0.0.1", "2130706433", "0x7f.1", "127.1", "127.0.0.1."):
        url = f"http://{host}:{port}/feed.xml"
        settings.NEWS_FETCH_ALLOW_PRIVATE = False
        with pytest.raises(FetchError, match="private or local address"):
            fetch(url)
        settings.NEWS_FETCH_ALLOW_PRIVATE = True
        assert fetch(url).body == b"<rss/>"
    assert len(feed_server.hits("/feed.xml")) == 5


@pytest.mark.parametrize("address", ["64:ff9b::7f00:1", "64:ff9b:1::808:808", "::7f00:1",
                                     "2002:7f00:1::1", "::ffff:0:7f00:1", "fec0::1"])
def test_ipv6_addresses_carrying_a_private_ipv4_one_are_not_public(address):
    assert not is_public(address)
