"""Polling sources: items become stories, conditional requests, backoff and health, merging
duplicates, extraction of the article page, lead images, and bad feeds."""

import io
import json
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from PIL import Image

from townsquare.newsdesk import tasks
from townsquare.newsdesk.actions.extraction import extract_story
from townsquare.newsdesk.actions.sources import save_source
from townsquare.newsdesk.models import Carrier, Source, Story
from townsquare.newsdesk.tasks import poll_source

from .conftest import article_page, rss

pytestmark = pytest.mark.django_db

PARAGRAPHS = [
    "The regional council approved the new river crossing on Tuesday after a debate that "
    "lasted well into the evening, with members split over the cost of the bridge.",
    "Supporters said the crossing would cut the journey between the two towns from forty "
    "minutes to ten, and bring shoppers back to the high street on market days.",
    "Opponents pointed to the budget, which has grown by a third since the first plans "
    "were drawn up, and asked who would pay for the upkeep once it is finished.",
    "Work is expected to start in the spring and to take two years, the council said, "
    "with the old ferry running until the day the bridge opens to traffic.",
]


@pytest.fixture
def source(make_category, make_member):
    category = make_category("World news")
    editor = make_member("editor1", role="editor")
    return lambda url, **kw: save_source(
        editor=editor, name=kw.pop("name", "The Daily Ledger"), feed_url=url,
        category=category, interval_minutes=kw.pop("interval", 30), **kw)


def png(width=64, height=48, color=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, "PNG")
    return out.getvalue()


def item(n, server, **extra):
    return {"title": f"Council approves river crossing {n}", "link": server.url(f"/story/{n}"),
            "description": f"The bridge, story {n}.", **extra}


def test_a_new_item_becomes_a_story_with_its_source(feed_server, source):
    url = feed_server.add("/feed.xml", rss(item(1, feed_server), item(2, feed_server)))
    src = source(url)
    result = poll_source.call(src.pk)
    assert result == "2 items, 2 new."
    stories = Story.objects.order_by("pk")
    assert [s.title for s in stories] == ["Council approves river crossing 1",
                                          "Council approves river crossing 2"]
    story = stories[0]
    assert story.status == "queued" and story.summary == "The bridge, story 1."
    assert story.source_date.year == 2025 and story.category == src.category
    assert [c.source for c in story.carriers.all()] == [src]
    src.refresh_from_db()
    assert src.items_seen == 2 and src.failures == 0 and src.last_success
    assert src.next_poll > timezone.now() + timedelta(minutes=29)


def test_each_new_story_queues_its_extraction_with_the_feed_image_once_it_commits(
        feed_server, source, django_capture_on_commit_callbacks):
    image = feed_server.url("/img.png")
    src = source(feed_server.add("/feed.xml", rss(item(1, feed_server, image=image))))
    with django_capture_on_commit_callbacks(execute=True):
        poll_source.call(src.pk)
    story = Story.objects.get()
    queued = DBTaskResult.objects.filter(task_path=tasks.extract_story.module_path)
    assert [r.args_kwargs["args"] for r in queued] == [[story.pk, image]]
    with django_capture_on_commit_callbacks(execute=True):
        poll_source.call(src.pk)  # the item again: nothing new to extract
    assert queued.count() == 1


def test_polling_again_takes_nothing_twice_and_uses_conditional_requests(feed_server, source):
    url = feed_server.add("/feed.xml", rss(item(1, feed_server)), etag='"abc"',
                          last_modified="Thu, 03 Jul 2025 08:00:00 GMT")
    src = source(url)
    poll_source.call(src.pk)
    assert poll_source.call(src.pk) == "Not modified since the last poll."
    sent = feed_server.hits("/feed.xml")[-1]
    assert sent["if-none-match"] == '"abc"'
    assert sent["if-modified-since"] == "Thu, 03 Jul 2025 08:00:00 GMT"
    # Without the validators the server sends the feed again: still one story.
    feed_server.add("/feed.xml", rss(item(1, feed_server)))
    assert poll_source.call(src.pk) == "1 items, 0 new."
    assert Story.objects.count() == 1 and Carrier.objects.count() == 1


def test_the_same_article_from_two_sources_is_one_story(feed_server, source):
    link = "https://ledger.example/world/bridge?utm_source=rss&utm_medium=feed"
    one = source(feed_server.add("/a.xml", rss({"title": "Council approves river crossing",
                                                "link": link, "guid": "a-1"})), name="Ledger")
    two = source(feed_server.add("/b.xml", rss({
        "title": "A different headline entirely", "guid": "b-9",
        "link": "https://LEDGER.example/world/bridge#comments"})), name="Wire")
    poll_source.call(one.pk)
    assert poll_source.call(two.pk) == "1 items, 1 new."
    story = Story.objects.get()
    assert [c.source.name for c in story.carriers.all()] == ["Ledger", "Wire"]


def test_near_identical_titles_from_another_source_merge(feed_server, source):
    one = source(feed_server.add("/a.xml", rss({
        "title": "Council approves the new river crossing after long debate",
        "link": "https://ledger.example/1"})), name="Ledger")
    two = source(feed_server.add("/b.xml", rss({
        "title": "Council approves new river crossing after long debate!",
        "link": "https://wire.example/xyz"})), name="Wire")
    three = source(feed_server.add("/c.xml", rss({
        "title": "Council rejects plans for a new ring road",
        "link": "https://other.example/2"})), name="Other")
    for src in (one, two, three):
        poll_source.call(src.pk)
    assert Story.objects.count() == 2
    merged = Story.objects.get(title__startswith="Council approves the new")
    assert sorted(c.source.name for c in merged.carriers.all()) == ["Ledger", "Wire"]


def test_similar_titles_from_the_same_source_stay_apart(feed_server, source):
    src = source(feed_server.add("/a.xml", rss(
        {"title": "Live: election results in the north", "link": "https://l.example/1"},
        {"title": "Live: election results in the south", "link": "https://l.example/2"})))
    poll_source.call(src.pk)
    assert Story.objects.count() == 2


def test_atom_and_json_feeds(feed_server, source):
    atom = ('<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            "<title>Atom News</title><id>urn:x</id><updated>2025-07-03T08:00:00Z</updated>"
            "<entry><title>Harbour reopens after storm</title><id>urn:1</id>"
            '<link href="https://atom.example/harbour"/><updated>2025-07-03T08:00:00Z</updated>'
            "<summary>Boats are back.</summary></entry></feed>")
    jsonfeed = json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "J",
                           "items": [{"id": "j1", "url": "https://json.example/museum",
                                      "title": "Museum opens new wing",
                                      "content_html": "<p>Two <b>new</b> rooms.</p>",
                                      "date_published": "2025-07-02T10:00:00+02:00"},
                                     "not an item"]})
    a = source(feed_server.add("/atom", atom, content_type="application/atom+xml"), name="A")
    j = source(feed_server.add("/json", jsonfeed, content_type="application/feed+json"),
               name="J")
    assert poll_source.call(a.pk) == "1 items, 1 new."
    assert poll_source.call(j.pk) == "1 items, 1 new."
    museum = Story.objects.get(title="Museum opens new wing")
    assert museum.summary == "Two new rooms." and museum.source_date.hour == 8
    j.refresh_from_db()
    assert "Skipped an item that is not an object" in j.last_error


def test_script_in_an_item_never_survives(feed_server, source):
    evil = {"title": "Harmless &lt;script&gt;alert(1)&lt;/script&gt; title",
            "link": "https://x.example/1",
            "description": "&lt;p onclick='x()'&gt;Text&lt;script&gt;steal()&lt;/script&gt;"
                           "&lt;img src=x onerror=alert(2)&gt;&lt;/p&gt;"}
    src = source(feed_server.add("/feed.xml", rss(evil)))
    poll_source.call(src.pk)
    story = Story.objects.get()
    for text in (story.title, story.summary, story.body):
        assert "<" not in text and "script" not in text.lower() and "onerror" not in text
    assert story.summary == "Text"


@pytest.mark.parametrize("body,content_type,message", [
    ("<html><body>Just a page</body></html>", "text/html", "did not return a feed"),
    ("{not json", "application/json", "not valid JSON"),
    ('{"items": []}', "application/json", "not a JSON Feed"),
    ("", "application/xml", "did not return a feed"),
])
def test_a_body_that_is_no_feed_is_recorded_on_health(feed_server, source, body,
                                                       content_type, message):
    src = source(feed_server.add("/feed", body, content_type=content_type))
    assert poll_source.call(src.pk).startswith("failed")
    src.refresh_from_db()
    assert message in src.last_error and src.failures == 1
    assert Story.objects.count() == 0


def test_a_malformed_feed_keeps_its_good_items(feed_server, source):
    broken = rss(item(1, feed_server), {"title": "", "link": "", "description": ""}) \
        .replace("</channel></rss>", "<item><title>Cut off")
    src = source(feed_server.add("/feed", broken))
    poll_source.call(src.pk)
    assert Story.objects.filter(title="Council approves river crossing 1").exists()


def test_failures_back_off_and_a_success_resets(feed_server, source):
    src = source(feed_server.url("/missing"), interval=10)
    before = timezone.now()
    poll_source.call(src.pk)
    src.refresh_from_db()
    assert "answered 404" in src.last_error and src.failures == 1
    assert src.next_poll >= before + timedelta(minutes=20)
    poll_source.call(src.pk)
    src.refresh_from_db()
    assert src.failures == 2 and src.next_poll >= before + timedelta(minutes=40)
    for _ in range(10):
        poll_source.call(src.pk)
    src.refresh_from_db()
    assert src.next_poll <= timezone.now() + timedelta(hours=24, seconds=5)
    feed_server.add("/missing", rss(item(1, feed_server)))
    poll_source.call(src.pk)
    src.refresh_from_db()
    assert src.failures == 0 and src.next_poll <= timezone.now() + timedelta(minutes=10)
    assert src.last_error  # the last error stays visible, with its time


# The worker tidies database connections between tasks, as in production: it needs
# real transactions, not a test wrapped in one.
@pytest.mark.django_db(transaction=True)
def test_one_failing_source_does_not_stop_the_others(feed_server, source, settings):
    settings.NEWS_FETCH_TIMEOUT = 0.3
    slow = source(feed_server.add("/slow", rss(item(1, feed_server)), delay=1), name="Slow")
    loop = source(feed_server.add("/loop", status=302, location="/loop"), name="Loop")
    good = source(feed_server.add("/good", rss(item(2, feed_server))), name="Good")
    Source.objects.update(next_poll=timezone.now() - timedelta(seconds=1))
    from django.core.management import call_command

    call_command("worker", "--once", verbosity=0)
    for src, words in ((slow, "did not answer"), (loop, "Too many redirects")):
        src.refresh_from_db()
        assert words in src.last_error and src.failures == 1
    good.refresh_from_db()
    assert good.failures == 0 and good.items_seen == 1
    assert Story.objects.filter(title__endswith="crossing 2").exists()


def test_a_source_address_must_be_http(source):
    from townsquare.core.errors import Invalid

    with pytest.raises(Invalid, match="Only http:// and https://"):
        source("file:///etc/passwd")
    with pytest.raises(Invalid, match="Only http:// and https://"):
        source("ftp://example.com/feed")
    with pytest.raises(Invalid, match="no host name"):
        source("https:///feed.xml")


def test_the_article_page_is_extracted(feed_server, source):
    feed_server.add("/story/1", article_page("Council approves river crossing 1", PARAGRAPHS),
                    content_type="text/html; charset=utf-8")
    src = source(feed_server.add("/feed.xml", rss(item(1, feed_server))))
    poll_source.call(src.pk)
    story = Story.objects.get()
    assert extract_story(story.pk) == "extracted"
    story.refresh_from_db()
    assert story.extracted and "forty minutes to ten" in story.body
    assert "Subscribe now" not in story.body and "World" not in story.body.split("\n")[0]


def test_an_unreachable_article_keeps_the_summary(feed_server, source):
    src = source(feed_server.add("/feed.xml", rss(item(7, feed_server))))
    poll_source.call(src.pk)
    story = Story.objects.get()
    assert extract_story(story.pk) == "summary only"
    story.refresh_from_db()
    assert story.body == "The bridge, story 7." and "could not be fetched" in story.extraction_note


def test_a_canonical_link_reveals_a_duplicate(feed_server, source):
    one = source(feed_server.add("/a.xml", rss({"title": "Bridge vote tonight",
                                                "link": "https://ledger.example/bridge"})),
                 name="Ledger")
    feed_server.add("/amp/bridge", article_page("Bridge", PARAGRAPHS,
                                                canonical="https://ledger.example/bridge"),
                    content_type="text/html")
    two = source(feed_server.add("/b.xml", rss({"title": "Tonight: the vote on a bridge",
                                                "link": feed_server.url("/amp/bridge")})),
                 name="Wire")
    poll_source.call(one.pk)
    poll_source.call(two.pk)
    assert Story.objects.count() == 2
    copy = Story.objects.get(title__startswith="Tonight")
    assert extract_story(copy.pk).startswith("merged into")
    story = Story.objects.get()
    assert sorted(c.source.name for c in story.carriers.all()) == ["Ledger", "Wire"]


def test_the_lead_image_is_verified_and_kept(feed_server, source, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    feed_server.add("/img.png", png(), content_type="image/png")
    feed_server.add("/fake.png", b"<?php system($_GET['c']); ?>", content_type="image/png")
    src = source(feed_server.add("/feed.xml", rss(
        item(1, feed_server, image=feed_server.url("/img.png")),
        item(2, feed_server, image=feed_server.url("/fake.png")))))
    poll_source.call(src.pk)
    good, bad = Story.objects.order_by("pk")
    extract_story(good.pk, feed_server.url("/img.png"))
    extract_story(bad.pk, feed_server.url("/fake.png"))
    good.refresh_from_db()
    bad.refresh_from_db()
    assert good.lead_image and good.lead_image.file.endswith(".webp")
    assert good.body.startswith(f"![Council approves river crossing 1]({good.lead_image.url})")
    assert good.lead_image.owner.username == settings.NEWS_DESK_USERNAME
    assert bad.lead_image is None and "lead image was refused" in bad.extraction_note
    src.refresh_from_db()
    assert "crossing 2”: " in src.last_error and "lead image was refused" in src.last_error
    assert src.failures == 0  # the feed itself is fine


def test_queued_stories_keep_their_images_from_the_prune(feed_server, source, settings,
                                                          tmp_path):
    from townsquare.uploads.actions import delete_orphan_uploads
    from townsquare.uploads.models import Upload

    settings.MEDIA_ROOT = tmp_path
    feed_server.add("/img.png", png(), content_type="image/png")
    src = source(feed_server.add("/feed.xml", rss(item(1, feed_server))))
    poll_source.call(src.pk)
    story = Story.objects.get()
    extract_story(story.pk, feed_server.url("/img.png"))
    Upload.objects.update(created=timezone.now() - timedelta(days=3))
    assert delete_orphan_uploads(older_than=timedelta(hours=24)) == 0
    Story.objects.update(status="discarded")
    assert delete_orphan_uploads(older_than=timedelta(hours=24)) == 1
