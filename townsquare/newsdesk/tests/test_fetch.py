"""Fetching other sites safely: schemes, private addresses, redirects, size and time limits."""

import gzip

import pytest

from townsquare.core.fetch import FetchError, check_url, fetch, is_public


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
