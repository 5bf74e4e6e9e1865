import pytest
from django.http import Http404
from django.urls import Resolver404, get_resolver, resolve, reverse

from townsquare.core.routing import RememberingResolver


def site_resolver() -> RememberingResolver:
    (resolver,) = [p for p in get_resolver().url_patterns if isinstance(p, RememberingResolver)]
    return resolver


def test_each_path_resolves_to_its_own_view_and_arguments_every_time():
    for _ in range(3):  # the first time worked out, then remembered
        topic = resolve("/t/12/floods-in-the-valley/")
        assert topic.url_name == "topic"
        assert topic.kwargs == {"topic_id": 12, "slug": "floods-in-the-valley"}
        other = resolve("/t/13/another-story/")
        assert other.kwargs == {"topic_id": 13, "slug": "another-story"}
        assert resolve("/t/12/typing/").url_name != "topic"  # the live endpoint, not a slug
        assert resolve("/t/12/reply/").url_name == "topic_reply"
        assert resolve("/").url_name == "home"


def test_a_remembered_match_does_not_change_under_its_callers():
    first = resolve("/p/7/edit/")
    first.kwargs["post_id"] = 99  # a caller that changes what it was given
    assert resolve("/p/7/edit/").kwargs == {"post_id": 7}


def test_a_path_that_matches_nothing_is_not_remembered():
    resolver = site_resolver()
    for _ in range(2):
        with pytest.raises(Resolver404):
            resolver.resolve("no/such/page/")
    assert resolver._matches.get("no/such/page/") is None
    with pytest.raises(Http404):
        resolve("/no/such/page/")


def test_reversing_still_finds_every_name():
    assert reverse("topic", args=[5, "x"]) == "/t/5/x/"
    assert reverse("home") == "/"


def test_what_it_remembers_is_bounded():
    resolver = RememberingResolver(get_resolver().url_patterns[0].url_patterns, max_paths=3)
    for n in range(10):
        resolver.resolve(f"t/{n}/slug/")
    assert len(resolver._matches._entries) == 3
