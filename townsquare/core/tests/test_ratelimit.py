"""Rate limits count in the database, so every process of the site counts against one limit;
every 429 says when to retry; the client address they count by."""

from unittest import mock

import pytest
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.test import Client, RequestFactory

from townsquare.core.errors import RateLimited, wait_in_words
from townsquare.core.memo import LocalMemo
from townsquare.core.models import RateCount
from townsquare.core.ratelimit import (
    check_rate,
    client_address,
    count_failures,
    forget,
    prune_rate_counts,
    refuse_while_limited,
)

pytestmark = pytest.mark.django_db


def test_rate_limits_refuse_past_the_limit(settings):
    settings.RATE_LIMITS = {"post": (3, 60)}
    for _ in range(3):
        check_rate("post", "someone")
    with pytest.raises(RateLimited):
        check_rate("post", "someone")
    check_rate("post", "someone-else")


def test_the_count_is_shared_by_every_process(settings):
    # Another process has caches of its own: nothing the count needs may live in them.
    settings.RATE_LIMITS = {"signin": (2, 300)}
    check_rate("signin", "203.0.113.9")
    cache.clear()
    LocalMemo.clear_all()
    check_rate("signin", "203.0.113.9")
    cache.clear()
    LocalMemo.clear_all()
    with pytest.raises(RateLimited):
        check_rate("signin", "203.0.113.9")
    assert RateCount.objects.get().count == 3


def test_the_occasional_prune_keeps_the_current_windows_count(settings):
    # The prune that one count in PRUNE_ONE_IN runs must end windows by the clock that cut
    # them: on another clock it deleted counts still running (a lock lifted early).
    settings.RATE_LIMITS = {"react": (2, 60)}
    with mock.patch("townsquare.core.ratelimit.time.time", lambda: 6000.0), \
            mock.patch("townsquare.core.ratelimit.random.randrange", return_value=0):
        check_rate("react", "user:1")
        check_rate("react", "user:1")
        with pytest.raises(RateLimited):
            check_rate("react", "user:1")
    assert RateCount.objects.get().count == 3


def test_a_new_window_starts_the_count_again_and_ended_ones_are_deleted(settings):
    settings.RATE_LIMITS = {"react": (1, 60)}
    clock = [6000.0]
    with mock.patch("townsquare.core.ratelimit.time.time", lambda: clock[0]):
        check_rate("react", "user:1")
        with pytest.raises(RateLimited):
            check_rate("react", "user:1")
        clock[0] += 60
        check_rate("react", "user:1")
    assert RateCount.objects.count() == 2
    assert prune_rate_counts() == 2  # both windows (1970) have long ended
    assert not RateCount.objects.exists()


def test_a_refused_attempt_still_counts(settings):
    settings.RATE_LIMITS = {"signin": (1, 300)}
    check_rate("signin", "198.51.100.7")
    for _ in range(3):
        with pytest.raises(RateLimited):
            check_rate("signin", "198.51.100.7")
    assert RateCount.objects.get().count == 4


# Failures only: refusing while a limit is used up, counting, forgetting.


def test_a_limit_on_failures_refuses_only_once_they_are_counted(settings):
    settings.RATE_LIMITS = {"signin_account": (2, 300), "signin_address": (5, 900)}
    limits = (("signin_account", "member:1"), ("signin_address", "203.0.113.9"))
    for _ in range(2):
        refuse_while_limited(*limits)
        count_failures(*limits)
    with pytest.raises(RateLimited):
        refuse_while_limited(*limits)
    refuse_while_limited(("signin_account", "member:2"), ("signin_address", "203.0.113.9"))
    forget("signin_account", "member:1")
    refuse_while_limited(*limits)
    assert RateCount.objects.get(key__startswith="signin_address:").count == 2


def test_refusing_says_how_long_until_the_longest_window_ends(settings):
    settings.RATE_LIMITS = {"short": (1, 300), "long": (1, 900)}
    with mock.patch("townsquare.core.ratelimit.time.time", lambda: 900 * 1000 + 100.5):
        count_failures(("short", "a"), ("long", "a"))
        with pytest.raises(RateLimited) as short:
            refuse_while_limited(("short", "a"))
        with pytest.raises(RateLimited) as both:
            refuse_while_limited(("short", "a"), ("long", "a"))
        check_rate("short", "b")
        with pytest.raises(RateLimited) as counted:
            check_rate("short", "b")
    assert short.value.retry_after == 200 and counted.value.retry_after == 200
    assert both.value.retry_after == 800
    assert both.value.message == "You are doing that too often. Try again in 14 minutes."


@pytest.mark.parametrize("seconds, words", [
    (1, "1 second"), (45, "45 seconds"), (60, "1 minute"), (61, "2 minutes"),
    (240, "4 minutes"), (3540, "59 minutes"), (3600, "1 hour"),
    (3601, "1 hour and 1 minute"), (7500, "2 hours and 5 minutes"),
])
def test_the_wait_is_said_in_words_never_shorter_than_it_is(seconds, words):
    assert wait_in_words(seconds) == words
    assert RateLimited(retry_after=seconds).message == \
        f"You are doing that too often. Try again in {words}."


# Every 429 says when to retry: pages and htmx fragments alike.


@pytest.fixture
def react_too_often(make_member, make_topic, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "react": (1, 60)}
    member = make_member()
    post = make_topic().posts.get()
    client = Client()
    client.force_login(member)

    def react(**headers):
        return client.post(f"/p/{post.pk}/react/", {"kind": "like"}, headers=headers)

    with mock.patch("townsquare.core.ratelimit.time.time", lambda: 60 * 30_000_000 + 15):
        assert react().status_code == 303
        yield react


def test_a_429_page_carries_retry_after_and_the_wait_in_words(react_too_often):
    response = react_too_often()
    assert response.status_code == 429
    assert response["Retry-After"] == "45"
    text = response.content.decode()
    assert "<html" in text and "Try again in 45 seconds." in text


def test_a_429_fragment_carries_retry_after_and_the_wait_in_words(react_too_often):
    response = react_too_often(**{"HX-Request": "true"})
    assert response.status_code == 429
    assert response["Retry-After"] == "45"
    text = response.content.decode()
    assert "<html" not in text and "Try again in 45 seconds." in text


# The client's address.


def address_of(remote_addr: str | None, forwarded: str | None = None) -> str:
    meta = {} if forwarded is None else {"HTTP_X_FORWARDED_FOR": forwarded}
    if remote_addr is not None:
        meta["REMOTE_ADDR"] = remote_addr
    request = RequestFactory().get("/", **meta)
    if remote_addr is None:
        del request.META["REMOTE_ADDR"]
    return client_address(request)


def test_without_trusted_proxies_the_peer_is_the_client_whatever_the_header_says(settings):
    settings.TRUSTED_PROXIES = []
    assert address_of("203.0.113.9") == "203.0.113.9"
    assert address_of("203.0.113.9", "198.51.100.1") == "203.0.113.9"
    assert address_of("10.0.0.2", "198.51.100.1, 10.0.0.3") == "10.0.0.2"


@pytest.mark.parametrize("forwarded, client", [
    ("198.51.100.7", "198.51.100.7"),
    ("198.51.100.7, 10.1.2.3", "198.51.100.7"),  # a second proxy of ours in the chain
    ("6.6.6.6, 198.51.100.7", "198.51.100.7"),  # whatever the client put first is not read
    ("forged!, 198.51.100.7", "198.51.100.7"),
    ("  198.51.100.7  ,10.1.2.3 ", "198.51.100.7"),
    ("10.9.9.9, 10.1.2.3", "10.9.9.9"),  # every hop ours: the first of them
    ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
    ("[2001:db8::7], 10.1.2.3", "2001:db8::/64"),
    ("::ffff:198.51.100.7", "198.51.100.7"),
])
def test_a_trusted_proxys_header_is_read_from_the_right_past_trusted_hops(
        settings, forwarded, client):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "192.0.2.1"]
    assert address_of("10.0.0.2", forwarded) == client
    assert address_of("192.0.2.1", forwarded) == client


@pytest.mark.parametrize("forwarded", [
    "", " ", ",", "198.51.100.7,", "198.51.100.7:4711", "not an address", "198.51.100.7 10.0.0.1",
    "198.51.100.7, 10.1.2.300", "[2001:db8::7]:443", "x" * 10_000,
])
def test_a_malformed_header_is_ignored_and_the_proxy_counts_as_the_client(
        settings, forwarded):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert address_of("10.0.0.2", forwarded) == "10.0.0.2"


def test_a_missing_header_from_a_trusted_proxy_leaves_the_proxy(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert address_of("10.0.0.2") == "10.0.0.2"


def test_ipv6_clients_count_by_their_64_network(settings):
    settings.TRUSTED_PROXIES = ["2001:db8:ffff::/48"]
    assert address_of("2001:db8:1:2:aaaa::1") == address_of("2001:db8:1:2:bbbb::9") == \
        "2001:db8:1:2::/64"
    assert address_of("2001:db8:1:3::1") == "2001:db8:1:3::/64"
    assert address_of("::ffff:203.0.113.9") == "203.0.113.9"
    assert address_of("2001:db8:ffff::1", "2001:db8:5::5") == "2001:db8:5::/64"
    assert address_of("::1") == "::/64"


def test_a_peer_without_an_ip_address_is_counted_as_given(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert address_of("unix:/run/townsquare.sock", "198.51.100.7") == "unix:/run/townsquare.sock"
    assert address_of("") == "unknown"
    assert address_of(None) == "unknown"


def test_a_trusted_proxies_entry_that_is_no_address_is_a_configuration_error(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "proxy.internal"]
    with pytest.raises(ImproperlyConfigured, match="TRUSTED_PROXIES"):
        address_of("10.0.0.2", "198.51.100.7")
