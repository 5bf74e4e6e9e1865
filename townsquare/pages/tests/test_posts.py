"""A post reads the same wherever it is shown: the page and the live push come from one
template (components/post.html) through one fill (core/shell.py)."""

import re
from html.parser import HTMLParser
from types import SimpleNamespace

import pytest
from django.test import Client

from townsquare.core.shell import filled
from townsquare.forum.actions import post_reply
from townsquare.forum.entries import entries_of
from townsquare.forum.live import _post_event
from townsquare.live.events import LiveEvent
from townsquare.pages.posts import May, post_shell
from townsquare.pages.stream import reader_variant, render_for
from townsquare.reactions.actions import react_to_post

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')


def _article(html: str, post_id: int) -> str:
    found = re.search(rf'<article[^>]*id="post-{post_id}".*?</article>', html, re.S)
    return TOKEN.sub("TOKEN", re.sub(r"\s+", " ", found.group(0)))


@pytest.mark.parametrize("who", ["guest", "member", "author", "moderator"])
def test_a_post_reads_the_same_on_the_page_and_in_the_live_push(make_member, make_topic, who):
    author = make_member()
    topic = make_topic(body="Opening words")
    reply = post_reply(author=author, topic=topic, body="A *reply* to push")
    react_to_post(member=make_member(), post=reply, kind="haha")
    reply.refresh_from_db()
    reader = {"guest": None, "member": make_member(), "author": author,
              "moderator": make_member(role="moderator")}[who]
    client = Client()
    if reader is not None:
        client.force_login(reader)
    page = client.get(topic.get_absolute_url() + "?page=1").content.decode()
    conn = SimpleNamespace(user=reader, member_id=getattr(reader, "pk", None),
                           moderator=who == "moderator")
    event = LiveEvent("1-0", topic.pk, "post_added", "public", _post_event(reply))
    pushed = render_for(event, reader_variant(event, conn)).decode()
    html = __import__("json").loads(pushed.split("data: ", 1)[1])["html"]
    assert _article(html, reply.pk) == _article(page, reply.pk)
    assert "\ue000" not in html and "Haha 1" in html


def test_the_readers_own_reaction_is_pressed_only_for_them(make_member, make_topic):
    topic = make_topic()
    reply = post_reply(author=make_member(), topic=topic, body="Press me")
    fan, other = make_member(), make_member()
    react_to_post(member=fan, post=reply, kind="love")
    pages = []
    for reader in (fan, other):
        client = Client()
        client.force_login(reader)
        pages.append(_article(client.get(topic.get_absolute_url()).content.decode(), reply.pk))
    assert 'value="love" aria-pressed="true"' in pages[0]
    assert 'aria-pressed="true"' not in pages[1].split('class="multiquote"')[0]


class _Balance(HTMLParser):
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
            "track", "wbr"}

    def __init__(self):
        super().__init__()
        self.open, self.errors = [], []

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_endtag(self, tag):
        if not self.open or self.open.pop() != tag:
            self.errors.append(tag)


def well_formed(html: str) -> bool:
    parser = _Balance()
    parser.feed(html)
    parser.close()
    return not parser.open and not parser.errors


@pytest.mark.parametrize("may", [
    May(), May(react=True, reply=True), May(react=True, reply=True, collected=True),
    May(edit=True, delete=True), May(restore=True)])
@pytest.mark.parametrize("state", ["shown", "hidden", "deleted"])
def test_every_kind_of_post_is_well_formed_on_its_own(make_member, make_topic, may, state):
    topic = make_topic(body="Opening")
    post = post_reply(author=make_member(), topic=topic, body="Some *words*\n\n> a quote")
    react_to_post(member=make_member(), post=post, kind="like")
    post.refresh_from_db()
    post.hidden = state == "hidden"
    post.deleted = post.created if state == "deleted" else None
    entry = entries_of(topic, [post])[0]._replace(hidden=post.hidden,
                                                 deleted=post.deleted is not None)
    html = post_shell(entry, may).fill(None)
    assert well_formed(html), html
    assert well_formed(entry.inner)


def test_the_pieces_filled_into_pages_are_well_formed(rf, make_member, make_topic):
    request = rf.get("/")
    request.user = make_member()
    topic = make_topic()
    pieces = [filled(request, "components/post.html#multiquote", post_id=1, selected=True),
              filled(request, "notifications/bell.html", count=3, stream=""),
              filled(request, "notifications/topic_watch.html", topic_id=topic.pk,
                     level="follow"),
              filled(request, "notifications/category_follow.html",
                     category_id=topic.category_id, following=False),
              filled(request, "forum/topic.html#quotes_note", topic_id=topic.pk, count=2),
              filled(request, "forum/topic_rows.html#unread_mark", {"url": "/t/1/x/"},
                     never_read=False, plural=True),
              filled(request, "components/post.html#ignored", {"post": "<p>x</p>"})]
    assert all(well_formed(piece) for piece in pieces), pieces
