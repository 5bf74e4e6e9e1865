"""Every address of the site, sent hostile input: never a server error, never a page's hole.

The addresses come from the URL conf itself (the admin's excepted), so a new page is fuzzed the
day it is added. Path arguments are real ids, slugs, names and tokens from a small forum, or
hostile values of the right shape. Each page's form fields are found by reading the forms of
every page the site shows (as a member and as an administrator, who see every control), and
the query parameters by the links to each page, plus the few read only by views or scripts. Each
example sends one request, GET or POST, as a guest, a member or an administrator, with
hostile values in some of those fields: huge numbers, digits that are no ASCII digits, NUL,
the page shell's marker characters, very long text, lists of values, SQL- and search-like
text. The examples are derived from the address alone (derandomized), so every run and
every parallel worker sends the same requests.
"""

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from itertools import product
from urllib.parse import parse_qsl, quote, urlsplit

import pytest
from django.conf import settings as site_settings
from django.contrib.auth.tokens import default_token_generator
from django.test import Client
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from townsquare.core import shell

from .routes import site_routes

RANDOM_EXAMPLES = 8
# Read by views from the query string or the form without any page linking to them.
VIEW_ONLY_PARAMS = {"next", "q", "sent", "done", "view", "quote", "quotes", "page", "topics",
                    "posts", "frequency", "List-Unsubscribe", "category", "intent", "body",
                    "post"}
HOSTILE = [
    "", "0", "-1", "1", "²", "٣", "１２", "9" * 5000, str(2**63), str(2**64 + 1), "1e9", "1.5",
    " 7 ", "\x00", "a\x00b", "\ue000csrf\ue001", "\ue000posts_html\ue001", "\ue000", "x" * 100_000,
    "' OR 1=1 --", '"; DROP TABLE forum_post; --', "NEAR(a b)", '"unterminated', "*", "a OR b",
    "<script>alert(1)</script>", "https://example.org/feed.xml", "//evil.example/", "🎉 ünï",
    "\u202e", "on", "true", "2026-13-45", "9999-12-31T23:59", "collected", "follow", "mute",
]
# Each of these once gave a 500 somewhere: every address gets each in all its fields at once.
SWEEP = ["²", "9" * 5000, str(2**64 + 1), "-1", "a\x00b", "\ue000csrf\ue001", "x" * 100_000,
         ["1", "٣"]]
HOSTILE_PATH = ["0", "9" * 18, str(2**64), "²", "\ue000csrf\ue001", "x" * 300, "-1",
                "' OR 1=1 --", "ünï", "%00", "..", "a b"]


@dataclass(frozen=True)
class Address:
    name: str
    route: str  # e.g. "t/<id:topic_id>/<str:slug>/"

    @property
    def args(self) -> list[tuple[str, str]]:
        return [(kind or "str", name)
                for kind, name in re.findall(r"<(?:(\w+):)?(\w+)>", self.route)]

    def real_values(self, real: dict[str, list[str]]) -> dict[str, str]:
        """The path arguments of a thing that exists (a category's slug for a category)."""
        values = {name: real[name][0] for _, name in self.args}
        if "slug" in values and "category_id" in values:
            values["slug"] = real["slug"][1]
        return values

    def path(self, values: dict[str, str]) -> str:
        def arg(match):
            kind, name = match.group(1) or "str", match.group(2)
            return quote(values[name], safe="/" if kind == "path" else "")

        return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", arg, self.route)


def site_addresses() -> list[Address]:
    return sorted((Address(name, route) for route, name in site_routes()),
                  key=lambda a: a.name)


ADDRESSES = site_addresses()


@pytest.fixture
def forum(db, settings, make_category):
    """A small forum with one of each thing an address can name."""
    from townsquare.accounts.models import User
    from townsquare.forum.actions import post_reply, start_topic
    from townsquare.newsdesk.actions.stories import publish_story
    from townsquare.newsdesk.models import Source, Story
    from townsquare.newsletter.models import Subscriber
    from townsquare.newsletter.tokens import confirm_token, manage_token
    from townsquare.notifications.models import Notification

    settings.RATE_LIMITS = {action: (10**6, period)
                            for action, (_, period) in site_settings.RATE_LIMITS.items()}
    # Small pages, so that every list links to its next page.
    settings.POSTS_PER_PAGE = settings.TOPICS_PER_PAGE = 1
    people = {}
    for name, role in (("ada", "member"), ("mo", "moderator"), ("root", "admin")):
        person = User(username=name, email=f"{name}@example.org", role=role)
        person.set_unusable_password()
        person.save()
        people[name] = person
    category = make_category(title="News")
    topic = start_topic(author=people["ada"], category=category, title="Weekly thread",
                        body="Opening **post**.")
    reply = post_reply(author=people["mo"], topic=topic, body="A reply quoting nobody.")
    post_reply(author=people["ada"], topic=topic, body="Another one.")
    now = timezone.now()
    source = Source.objects.create(name="Wire", feed_url="https://example.org/feed.xml",
                                   category=category)
    story = Story.objects.create(title="A story", url="https://example.org/a",
                                 canonical_url="example.org/a", title_key="a story",
                                 created=now, updated=now)
    notification = Notification.objects.get(recipient=people["ada"], post=reply)  # the reply's
    published = Story.objects.create(title="Published", url="https://example.org/b",
                                     canonical_url="example.org/b", title_key="published",
                                     created=now, updated=now)
    publish_story(editor=people["root"], story=published, title="Published", body="News.",
                  category=category)
    subscriber = Subscriber.objects.create(email="sub@example.org", created=now)
    real = {
        "topic_id": [topic.pk], "category_id": [category.pk], "post_id": [reply.pk],
        "story_id": [story.pk, published.pk], "source_id": [source.pk],
        "notification_id": [notification.pk],
        "slug": [topic.slug, category.slug], "username": ["ada", "mo"],
        "token": [confirm_token(subscriber), manage_token(subscriber)],
        "uidb64": [urlsafe_base64_encode(force_bytes(people["ada"].pk))],
        "path": ["uploads/none.png", "avatars/x.webp"],
    }
    real["token"].append(default_token_generator.make_token(people["ada"]))
    clients = {"guest": Client()}
    for name in ("ada", "root"):
        clients[name] = Client()
        clients[name].force_login(people[name])
    return {key: [str(v) for v in values] for key, values in real.items()}, clients


class _Forms(HTMLParser):
    """The forms of a page (where each posts to, its field names) and the query keys of its
    links. A form posts to its action, and to any hx-post or formaction in it (the editor's
    preview button, for one)."""

    def __init__(self, page_path: str):
        super().__init__()
        self.page_path, self.forms, self.links = page_path, [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for link in (attrs.get("href"), attrs.get("hx-get"), attrs.get("action")):
            if link and "?" in link:
                self.links.append(link)
        if tag == "form":
            self.forms.append(([attrs.get("action") or self.page_path], set()))
        if not self.forms:
            return
        targets, names = self.forms[-1]
        targets.extend(t for t in (attrs.get("hx-post"), attrs.get("formaction")) if t)
        if tag in ("input", "textarea", "select", "button") and attrs.get("name"):
            names.add(attrs["name"])


_discovered: dict = {}


def _address_name(url: str) -> str | None:
    try:
        return resolve(urlsplit(url).path).url_name
    except Resolver404:
        return None


def discovered_fields(forum) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """{address name: the field names its forms post} and {address name: the query keys
    links to it carry}, read once per process from every page as each reader sees it."""
    if not _discovered:
        real, clients = forum
        fields, query_keys = {}, {}
        for address, reader in product(ADDRESSES, sorted(clients)):
            for values in product(*(real[name] for _, name in address.args)):
                page_path = address.path(dict(zip((n for _, n in address.args), values,
                                                  strict=True)))
                response = clients[reader].get(page_path)
                if response.streaming or "html" not in response.get("Content-Type", ""):
                    continue
                parser = _Forms(page_path)
                parser.feed(response.content.decode())
                for link in parser.links:
                    query_keys.setdefault(_address_name(link), set()).update(
                        key for key, _ in parse_qsl(urlsplit(link).query))
                for targets, names in parser.forms:
                    for target in targets:
                        fields.setdefault(_address_name(target), set()).update(names)
        _discovered.update(fields=fields, query_keys=query_keys)
    return _discovered["fields"], _discovered["query_keys"]


values = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=20),
                   st.integers(-(2**70), 2**70).map(str))
param_values = st.one_of(values, st.lists(values, min_size=2, max_size=3))


def sweeps(names: list[str], linked: set[str], args: list[str]):
    """The examples every address gets whatever the random ones are: each of the values that
    once broke a page, in every field at once, read as a guest and as an administrator (who
    reaches every form) and posted by the administrator; and alone in each query parameter
    that links to the address carry (a page may read one differently when it comes alone)."""
    for number, value in enumerate(SWEEP):
        short = value[:5000] if isinstance(value, str) else value
        for method, reader in (("get", "guest"), ("get", "root"), ("post", "root")):
            yield example(reader=reader, method=method, path_values=None,
                          params=dict.fromkeys(names, value if method == "post" else short),
                          htmx=bool(number % 2))
        for name in sorted(linked):
            yield example(reader="guest", method="get", path_values=None,
                          params={name: short}, htmx=False)
    for value, method in product(("²", str(2**64), "9" * 30), ("get", "post")):
        if args:
            yield example(reader="root", method=method, path_values=dict.fromkeys(args, value),
                          params={}, htmx=False)


@pytest.mark.parametrize("address", ADDRESSES, ids=[a.name for a in ADDRESSES])
def test_no_address_answers_hostile_input_with_a_server_error(forum, address):
    real, clients = forum
    fields, query_keys = discovered_fields(forum)
    linked = query_keys.get(address.name, set())
    names = sorted(fields.get(address.name, set()) | linked | VIEW_ONLY_PARAMS)
    path_values = st.fixed_dictionaries({name: st.sampled_from(real[name] + HOSTILE_PATH)
                                         for _, name in address.args})

    @hypothesis_settings(max_examples=RANDOM_EXAMPLES, deadline=None, derandomize=True,
                         database=None,
                         suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                HealthCheck.too_slow,
                                                HealthCheck.large_base_example])
    @given(reader=st.sampled_from(sorted(clients)), method=st.sampled_from(["get", "post"]),
           path_values=st.one_of(st.none(), path_values),
           params=st.fixed_dictionaries({}, optional=dict.fromkeys(names, param_values)),
           htmx=st.booleans())
    def send(reader, method, path_values, params, htmx):
        # None: the real values (the address of a thing that exists).
        path = address.path(path_values or address.real_values(real))
        if method == "get":
            params = {k: v for k, v in params.items() if len(str(v)) < 10_000}
        response = getattr(clients[reader], method)(
            path, params, headers={"HX-Request": "true"} if htmx else {})
        assert response.status_code < 500, (method, path, params, reader)
        if not response.streaming:  # no page ever shows a hole's marker
            marker = shell.marker_tag().encode()
            assert marker not in response.content, (method, path, params, reader)

    for explicit in sweeps(names, linked, [name for _, name in address.args]):
        send = explicit(send)
    send()
