from datetime import timedelta

import pytest
from django.test import RequestFactory
from django.utils import timezone

from townsquare.core.errors import NotFound
from townsquare.core.pagination import page_links, parse_page
from townsquare.core.timefmt import relative


@pytest.mark.parametrize(("seconds", "text"), [
    (5, "just now"), (60, "1 minute ago"), (6 * 60, "6 minutes ago"), (3600, "1 hour ago"),
    (3 * 86400, "3 days ago"), (400 * 86400, "1 year ago"), (-30, "just now"),
])
def test_relative_times_read_naturally(seconds, text):
    now = timezone.now()
    assert relative(now - timedelta(seconds=seconds), now) == text


def test_kept_time_elements_are_brought_up_to_date_when_filled():
    from django.template import Context, Template

    from townsquare.core.shell import Shell

    moment = timezone.now() - timedelta(minutes=6)
    kept = Shell(Template("{{ moment|livetime }}").render(Context({"moment": moment})))
    assert ">6 minutes ago</time>" in kept.fill(None)
    later = kept.fill(None, now=moment + timedelta(hours=2))
    assert ">2 hours ago</time>" in later and "\ue000" not in later


def test_page_links_elide_long_runs():
    assert page_links(1, 1) == [1]
    assert page_links(5, 10) == [1, None, 3, 4, 5, 6, 7, None, 10]
    assert page_links(1, 4) == [1, 2, 3, 4]


@pytest.mark.parametrize("raw", ["0", "-2", "x", "1.5", "6"])
def test_a_bad_or_out_of_range_page_number_is_not_found(raw):
    request = RequestFactory().get("/", {"page": raw})
    with pytest.raises(NotFound):
        parse_page(request, 5)


def test_an_empty_topic_still_has_a_first_page():
    assert parse_page(RequestFactory().get("/"), 0) == 1


def test_a_page_token_unmasks_to_the_cookie_secret_and_differs_each_time():
    from django.middleware.csrf import _unmask_cipher_token, get_token

    from townsquare.core.shell import csrf_token

    first = RequestFactory().get("/")
    secret = _unmask_cipher_token(get_token(first))  # Django makes the secret
    tokens = set()
    for _ in range(50):
        request = RequestFactory().get("/")
        request.META["CSRF_COOKIE"] = secret
        token = csrf_token(request)
        assert csrf_token(request) == token  # one token per page, however many forms
        assert len(token) == 64 and token.isalnum()
        assert _unmask_cipher_token(token) == secret
        assert request.META["CSRF_COOKIE_NEEDS_UPDATE"] is True
        tokens.add(token)
    assert len(tokens) == 50  # masked afresh for every response


def test_a_request_without_a_secret_gets_one_from_django():
    from django.middleware.csrf import _unmask_cipher_token

    from townsquare.core.shell import csrf_token

    request = RequestFactory().get("/")
    token = csrf_token(request)
    assert _unmask_cipher_token(token) == request.META["CSRF_COOKIE"]


def test_random_characters_cover_the_alphabet_evenly():
    from collections import Counter

    from django.middleware.csrf import CSRF_ALLOWED_CHARS

    from townsquare.core.shell import random_chars

    drawn = Counter(random_chars(62 * 400))
    assert set(drawn) == set(CSRF_ALLOWED_CHARS)
    assert max(drawn.values()) < 2 * min(drawn.values())
