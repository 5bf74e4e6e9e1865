"""Nothing private shows anywhere: every URL pattern of the site (taken from the resolver,
so a new page is covered the day it is added), requested as a guest and as a plain member,
plain and as an htmx fragment, with page and query variants, and filled with the ids of
private things as well as public ones. Private content — a moderators' room with a topic,
replies, reactions and a quote of it from a public topic; a hidden topic; a hidden and a
deleted post; notifications about them; images of the room's posts — never appears: not
its titles, words, author, times, nor its ids in links. An id of something private answers
exactly as an id that does not exist (same status, same text)."""

import re
from datetime import UTC, datetime
from urllib.parse import quote

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.signals import request_finished
from django.db import close_old_connections
from django.test import Client
from django.utils import timezone
from django.utils.html import escape

from townsquare.core.markup import quote_block
from townsquare.drafts.models import Draft
from townsquare.forum.actions import delete_post, post_reply, start_topic
from townsquare.forum.models import Post, Topic
from townsquare.notifications.models import Notification
from townsquare.reactions.actions import react_to_post
from townsquare.uploads.models import Upload

from .routes import site_routes

pytestmark = pytest.mark.django_db

MISSING = 987654
WHEN = datetime(2021, 3, 4, 5, 6, 7, tzinfo=UTC)
# Words of the private content, each found nowhere else on the site.
SECRET_WORDS = ["Quiet Larkspur Protocol", "vermilion", "okapi", "saffron", "narwhal",
                "Buried Tamarind Affair", "obsidian", "quokka", "marzipan",
                "2021-03-04", "04 Mar 2021"]
AUTHOR = "zephyrine"


@pytest.fixture
def site(settings, tmp_path, make_member, make_category, make_topic):
    settings.MEDIA_ROOT = tmp_path / "media"
    author = make_member(AUTHOR, role="moderator")
    other_mod = make_member("omar", role="moderator")
    member = make_member("mira")
    public_author = make_member("paula")
    room = make_category("Back office", read_role="moderator", start_role="moderator")
    lounge = make_category("Lounge")
    secret = start_topic(author=author, category=room, title="Quiet Larkspur Protocol",
                         body="The vermilion okapi plan.", created=WHEN)
    secret_reply = post_reply(author=author, topic=secret, body="The saffron narwhal.",
                              created=WHEN)
    react_to_post(member=other_mod, post=secret_reply, kind="like")
    hidden = start_topic(author=public_author, category=lounge,
                         title="Buried Tamarind Affair", body="Obsidian words.", created=WHEN)
    Topic.objects.filter(pk=hidden.pk).update(hidden=True)
    open_topic = make_topic(author=public_author, category=lounge, title="Hello everyone",
                            body="Welcome, all.")
    public_reply = post_reply(author=member, topic=open_topic, body="Glad to be here.")
    react_to_post(member=public_author, post=public_reply, kind="like")
    # A moderator quotes the room in public (typing words of their own inside the quote).
    quoting = post_reply(author=other_mod, topic=open_topic,
                         body=quote_block(secret_reply.pk, "As was said.") + "Noted.")
    hidden_post = post_reply(author=public_author, topic=open_topic, body="A quokka here.")
    Post.objects.filter(pk=hidden_post.pk).update(hidden=True)
    deleted = post_reply(author=public_author, topic=open_topic, body="Some marzipan.")
    delete_post(member=public_author, post=deleted)
    # Mira heard of the room's reply and the hidden topic before they were closed to her,
    # and was writing there.
    for post, actor in [(secret_reply, author), (hidden.posts.get(position=1), public_author)]:
        Notification.objects.create(recipient=member, kind="reply", post=post,
                                    topic=post.topic, actor=actor, created=timezone.now(),
                                    updated=timezone.now())
    Draft.objects.create(member=member, topic=secret, body="My okapi draft.",
                         quote_ids=[secret_reply.pk])
    secret_image = _upload(author, secret_reply, "secret")
    public_image = _upload(public_author, open_topic.posts.get(position=1), "public")
    public_posts = [open_topic.posts.get(position=1).pk, public_reply.pk, quoting.pk,
                    deleted.pk]
    private_posts = [secret.posts.get(position=1).pk, secret_reply.pk,
                     hidden.posts.get(position=1).pk, hidden_post.pk]
    private_notes = list(Notification.objects.filter(recipient=member, post__in=private_posts)
                         .values_list("pk", flat=True))
    public_notes = list(Notification.objects.filter(recipient=member).exclude(
        pk__in=private_notes).values_list("pk", flat=True))
    assert len(private_notes) == 3 and public_notes  # the hidden post was followed too
    return {
        "member": member,
        "slugs": {("topic", t.pk): t.slug for t in (secret, hidden, open_topic)}
        | {("category", c.pk): c.slug for c in (room, lounge)},
        "ids": {
            "category_id": ([lounge.pk], [room.pk]),
            "topic_id": ([open_topic.pk], [secret.pk, hidden.pk]),
            "post_id": (public_posts, private_posts),
            "notification_id": (public_notes, private_notes),
        },
        "paths": ([public_image.file, public_image.thumbnail],
                  [secret_image.file, secret_image.thumbnail]),
        "usernames": [AUTHOR, "paula", "mira"],
        # A hidden post keeps its place in its topic, as "hidden by a moderator": only its
        # words are private there.
        "forbidden_ids": {"c": [room.pk], "t": [secret.pk, hidden.pk],
                          "p": private_posts[:3]},
    }


def _upload(owner, post, name: str) -> Upload:
    stem = f"uploads/2021/03/{name}"
    for suffix in (".webp", "-thumb.webp"):
        default_storage.save(f"{stem}{suffix}", ContentFile(b"RIFF-image-bytes"))
    return Upload.objects.create(owner=owner, file=f"{stem}.webp",
                                 thumbnail=f"{stem}-thumb.webp", width=4, height=4,
                                 bytes=16, format="png", sha256="0" * 64, post=post)


_ARG = re.compile(r"<(?:\w+:)?(\w+)>")


def fillings(route: str, site: dict):
    """(path, private?) for each way to fill the route's arguments: public values, private
    ones, and a missing one (private=None), the slug following the id it goes with."""
    names = _ARG.findall(route)
    if not names:
        yield "/" + route, False
        return
    key = names[0]
    if key in site["ids"]:
        public, private = site["ids"][key]
        kind = key.removesuffix("_id")
        for value, secret in [*((v, False) for v in public), *((v, True) for v in private),
                              (MISSING, None)]:
            slug = site["slugs"].get((kind, value), "x")
            yield "/" + _ARG.sub(lambda m, v=value, s=slug: str(v if m.group(1) == key else s),
                                 route), secret
    elif key == "username":
        for name in site["usernames"]:
            yield "/" + _ARG.sub(name, route), False
    elif key == "path":
        public, private = site["paths"]
        yield from (("/" + _ARG.sub(p, route), False) for p in public)
        yield from (("/" + _ARG.sub(p, route), True) for p in private)
        yield "/" + _ARG.sub("uploads/2021/03/missing.webp", route), None
    else:  # story and source ids of the news desk, newsletter tokens
        yield "/" + _ARG.sub(str(MISSING) if key.endswith("_id") else "not-a-token", route), False


def forbidden(site: dict) -> list[re.Pattern]:
    ids = site["forbidden_ids"]
    found = [re.compile(re.escape(word), re.IGNORECASE) for word in SECRET_WORDS]
    found += [re.compile(rf"/c/{pk}/") for pk in ids["c"]]
    found += [re.compile(rf"/t/{pk}/") for pk in ids["t"]]
    found += [re.compile(rf'(?:/p/|post-|reactions-|quote[= ]|name="post" value="){pk}\b')
              for pk in ids["p"]]
    return found


def body_of(response) -> str:
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    # Closing a response (a served file's handle) sends request_finished, which closes the
    # database connection, the test's transaction with it; the test client keeps that signal
    # off while it answers, and so must this.
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)
    return raw.decode("utf-8", "replace")


_NOISE = re.compile(r'(csrfmiddlewaretoken" value=|csrf-token" content=|data-token=)"[^"]*"')


def seen(response, path: str, data: dict) -> str:
    """What the response tells, what the asker sent (its address, a form's text given back)
    taken out."""
    text = body_of(response) + " " + response.get("Location", "")
    for form in {path, quote(path, safe=""), quote(path)}:
        text = text.replace(form, "<path>")
    for value in data.values():
        if len(value) > 3:
            text = text.replace(escape(value), "<sent>").replace(value, "<sent>")
    return _NOISE.sub("<token>", text)


def requests_for(route: str, name: str, path: str, secret, site: dict):
    """(method, path, data, headers) to try on one filled pattern."""
    if name == "preview":  # a read: the body as it would be stored, its quotes resolved
        for pk in site["ids"]["post_id"][1]:
            body = quote_block(pk, "As was said.")
            yield "post", path, {"body": body}, {"HTTP_HX_REQUEST": "true"}
            yield "post", path, {"body": body, "form_action": "/new/"}, {}
    yield "get", path, {}, {}
    yield "get", path, {}, {"HTTP_HX_REQUEST": "true"}
    if secret is False:
        yield "get", path, {"page": "2"}, {}
        yield "get", path, {"page": "99999"}, {}
    if name == "member":
        yield "get", path, {"topics": "2", "posts": "2"}, {}
    if name == "member_suggest":
        yield "get", path, {"q": "p"}, {}
        yield "get", path, {"q": "m"}, {"HTTP_ACCEPT": "application/json"}
    if secret is not False:  # writes only on private or missing things: they must refuse
        yield "post", path, {"body": "x", "kind": "like", "level": "follow", "follow": "1",
                             "post": str(MISSING)}, {}
        yield "post", path, {"kind": "like", "level": "follow"}, {"HTTP_HX_REQUEST": "true"}


def test_no_page_shows_private_content_to_a_guest_or_a_member(site):
    patterns = forbidden(site)
    members = {"guest": None, "member": site["member"]}
    problems, routes = [], list(site_routes())
    assert len(routes) > 40, "the walk should find every pattern of the site"
    for label, user in members.items():
        client = Client()
        if user is not None:
            client.force_login(user)
        for route, name in routes:
            missing = {}
            filled = list(fillings(route, site))
            # Public first (reading them may change the member's header, as opening a
            # notification does), then the missing id each private one is compared with.
            for path, secret in sorted(filled, key=lambda f: {False: 0, None: 1}.get(f[1], 2)):
                for method, url, data, headers in requests_for(route, name, path, secret,
                                                             site):
                    response = getattr(client, method)(url, data, **headers)
                    text = seen(response, url, data)
                    if name in ("member", "member_alias", "member_avatar", "member_follow",
                                "member_ignore") and AUTHOR in url:
                        text = text.replace(AUTHOR, "<name>")
                    for pattern in patterns:
                        if pattern.search(text):
                            problems.append(f"{label} {method} {url} {data or ''} shows "
                                            f"{pattern.pattern!r}")
                    variant = (method, tuple(sorted(data.items())), tuple(headers))
                    if secret is None:
                        missing[variant] = (response.status_code, text)
                    elif secret and missing.get(variant) != (response.status_code, text):
                        problems.append(f"{label} {method} {url} {data or ''} answers "
                                        f"{response.status_code}, unlike a missing id "
                                        f"({missing.get(variant, ('?',))[0]})")
    assert not problems, "\n".join(problems)


def test_no_email_or_digest_tells_of_private_content(site, settings, mailoutbox):
    from townsquare.newsletter.emails import render_digest
    from townsquare.newsletter.models import Digest
    from townsquare.newsletter.queries import list_digest_topics
    from townsquare.notifications.emails import send_due

    settings.NOTIFY_EMAIL_DELAY_SECONDS = 0
    patterns = forbidden(site)
    assert send_due("immediately") >= 1
    # The room's moderators hear of it; nobody else does.
    texts = [m.subject + m.body + m.alternatives[0][0] for m in mailoutbox
             if m.to[0].split("@")[0] not in (AUTHOR, "omar")]
    assert any(m.to == ["mira@example.org"] for m in mailoutbox)
    start, end = WHEN.replace(year=2020), timezone.now() + timezone.timedelta(minutes=1)
    picks = list_digest_topics(start, end, 20)
    assert picks, "the public topic had replies in the period"
    texts += render_digest(Digest(frequency="daily", period_start=start, period_end=end),
                           picks)
    shown = [(p.pattern, text) for text in texts for p in patterns if p.search(text)]
    assert not shown
