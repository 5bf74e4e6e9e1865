"""The desk's pages and actions: who may use them, publishing with attribution, scheduling,
discarding, corrections, sources, and bad input."""

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from townsquare.forum.models import Post, Topic
from townsquare.newsdesk import schedule
from townsquare.newsdesk.actions.sources import save_source
from townsquare.newsdesk.actions.stories import discard_story, publish_due
from townsquare.newsdesk.forms import SourceForm, StoryForm
from townsquare.newsdesk.models import Carrier, Correction, Source, Story
from townsquare.newsdesk.tasks import poll_source
from townsquare.uploads.models import Upload

from .conftest import rss

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(make_member, make_category, client):
    """An editor signed in, a news category, and one queued story from one source."""
    editor = make_member("editor1", role="editor")
    category = make_category("World news")
    source = Source.objects.create(name="The Daily Ledger", feed_url="https://ledger.example/rss",
                                   category=category)
    now = timezone.now()
    story = Story.objects.create(
        title="Council approves river crossing", summary="The bridge is coming.",
        url="https://ledger.example/bridge", canonical_url="https://ledger.example/bridge",
        title_key="council approves river crossing", created=now, updated=now,
        source_date=timezone.make_aware(timezone.datetime(2025, 7, 3, 8, 0)),
        body="The regional council approved the crossing.", category=category)
    Carrier.objects.create(story=story, source=source, key="k1", url=story.url,
                           title=story.title, summary=story.summary, content_hash="h1",
                           first_seen=now, last_seen=now)
    client.force_login(editor)

    class Desk:
        pass

    d = Desk()
    d.editor, d.category, d.source, d.story, d.client = editor, category, source, story, client
    return d


def publish(d, **data):
    fields = {"title": d.story.title, "body": d.story.body, "category": d.category.pk,
              "intent": "publish"} | data
    return d.client.post(reverse("desk_story", args=[d.story.pk]), fields)


@pytest.mark.parametrize("name,args", [("desk", []), ("desk_sources", []),
                                       ("desk_story", ["story"]), ("desk_source", ["source"])])
def test_only_editors_see_the_desk(desk, make_member, client, name, args):
    url = reverse(name, args=[getattr(desk, a).pk for a in args])
    assert desk.client.get(url).status_code == 200
    client.logout()
    assert client.get(url).status_code == 302  # to sign in
    client.force_login(make_member("reader"))
    response = client.get(url)
    assert response.status_code == 403
    assert "Only editors" in response.content.decode()


def test_members_cannot_post_to_desk_actions(desk, make_member, client):
    client.force_login(make_member("reader"))
    assert client.post(reverse("desk_story", args=[desk.story.pk]),
                       {"intent": "discard"}).status_code == 403
    assert client.post(reverse("desk_sources"), {"name": "x"}).status_code == 403
    with pytest.raises(Exception, match="Only editors"):
        discard_story(editor=make_member("other"), story=desk.story)
    desk.story.refresh_from_db()
    assert desk.story.status == "queued"


def test_the_queue_lists_stories_with_their_sources(desk):
    page = desk.client.get(reverse("desk")).content.decode()
    assert "Council approves river crossing" in page and "The Daily Ledger" in page
    assert desk.client.get(reverse("desk") + "?view=nonsense").status_code == 400
    assert desk.client.get(reverse("desk") + "?view=published").status_code == 200


def test_the_queue_costs_the_same_with_more_stories(desk, django_assert_max_num_queries):
    with django_assert_max_num_queries(12) as few:
        desk.client.get(reverse("desk"))
    now = timezone.now()
    for n in range(25):
        s = Story.objects.create(title=f"Story {n}", url=f"https://x.example/{n}",
                                 canonical_url=f"https://x.example/{n}", title_key=f"story {n}",
                                 created=now, updated=now)
        Carrier.objects.create(story=s, source=desk.source, key=f"n{n}", url=s.url,
                               title=s.title, content_hash="h", first_seen=now, last_seen=now)
    with django_assert_max_num_queries(len(few.captured_queries)):
        desk.client.get(reverse("desk"))


def test_publishing_posts_the_story_as_the_desk_with_attribution(desk, client, settings):
    response = publish(desk, title="Bridge approved after a long night",
                       body="The council said **yes**.")
    topic = Topic.objects.get()
    assert response.status_code == 303 and response["Location"] == topic.get_absolute_url()
    assert topic.author.username == settings.NEWS_DESK_USERNAME
    assert topic.title == "Bridge approved after a long night"
    assert (topic.source_name, topic.source_url) == ("The Daily Ledger",
                                                     "https://ledger.example/bridge")
    assert str(topic.source_date) == "2025-07-03"
    desk.story.refresh_from_db()
    assert desk.story.status == "published" and desk.story.topic == topic
    client.logout()
    page = client.get(topic.get_absolute_url()).content.decode()
    assert "Adapted by Townsquare from" in page and "The Daily Ledger</a>" in page
    assert "3 July 2025" in page and "<strong>yes</strong>" in page


def test_publishing_twice_is_a_conflict(desk):
    assert publish(desk).status_code == 303
    response = publish(desk)
    assert response.status_code == 409 and "published already" in response.content.decode()
    assert Topic.objects.count() == 1


def test_images_the_editor_uploads_go_with_the_story(desk, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "navy").save(out, "PNG")
    response = desk.client.post(reverse("upload"), {
        "image": SimpleUploadedFile("map.png", out.getvalue(), "image/png")},
        headers={"accept": "application/json"})
    assert response.status_code in (200, 201)
    upload = Upload.objects.get()
    publish(desk, body=f"The route:\n\n![map]({upload.url})")
    upload.refresh_from_db()
    post = Post.objects.get()
    assert upload.post == post and upload.owner == post.author


@pytest.mark.parametrize("data,message", [
    ({"title": ""}, "Give the story a headline."),
    ({"body": ""}, "Write the story before publishing."),
    ({"category": 999999}, "Choose one of the listed categories."),
    ({"category": ""}, "Choose the category to publish in."),
    ({"intent": "explode"}, "Choose publish, schedule, save or discard."),
    ({"intent": "schedule", "publish_at": ""}, "Give the time to publish at."),
    ({"intent": "schedule", "publish_at": "tomorrow-ish"}, "Give the time as a date"),
])
def test_bad_input_is_refused_with_a_reason(desk, data, message):
    response = publish(desk, **data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Topic.objects.count() == 0
    desk.story.refresh_from_db()
    assert desk.story.status == "queued"


def test_a_missing_story_is_404(desk):
    assert desk.client.get(reverse("desk_story", args=[424242])).status_code == 404


def test_scheduling_publishes_when_the_time_comes(desk):
    when = (timezone.now() + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    response = publish(desk, intent="schedule", publish_at=when)
    assert response.status_code == 303
    desk.story.refresh_from_db()
    assert desk.story.status == "scheduled" and Topic.objects.count() == 0
    schedule.tick()  # not due yet
    assert publish_due() == 0
    assert publish_due(timezone.now() + timedelta(hours=3)) == 1
    desk.story.refresh_from_db()
    assert desk.story.status == "published" and desk.story.topic.source_name


# The worker tidies database connections between tasks, as in production: it needs
# real transactions, not a test wrapped in one.
@pytest.mark.django_db(transaction=True)
def test_the_worker_publishes_a_due_story(desk):
    from django.core.management import call_command

    publish(desk, intent="schedule",
            publish_at=(timezone.now() + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    Story.objects.update(publish_at=timezone.now() - timedelta(minutes=1))
    call_command("worker", "--once", verbosity=0)
    assert Topic.objects.filter(title=desk.story.title).exists()


def test_discard_and_restore(desk):
    response = desk.client.post(reverse("desk_story", args=[desk.story.pk]),
                                {"intent": "discard"})
    assert response.status_code == 303
    desk.story.refresh_from_db()
    assert desk.story.status == "discarded"
    assert publish(desk).status_code == 409
    desk.client.post(reverse("desk_story", args=[desk.story.pk]), {"intent": "restore"})
    desk.story.refresh_from_db()
    assert desk.story.status == "queued"


def test_saving_keeps_the_adaptation(desk):
    publish(desk, intent="save", title="A better headline", body="Rewritten.")
    desk.story.refresh_from_db()
    assert (desk.story.title, desk.story.body, desk.story.status) == (
        "A better headline", "Rewritten.", "queued")
    assert desk.story.edited_by == desk.editor


def test_a_source_change_after_publishing_leads_to_a_correction(desk, feed_server, client):
    src = save_source(editor=desk.editor, name="Wire", category=desk.category,
                      feed_url=feed_server.add("/feed", rss({
                          "title": "Bridge approved", "guid": "w1",
                          "link": "https://wire.example/bridge",
                          "description": "Cost: 40 million."})),
                      interval_minutes=30)
    poll_source.call(src.pk)
    story = Story.objects.get(title="Bridge approved")
    desk.story = story
    publish(desk)
    feed_server.add("/feed", rss({"title": "Bridge approved", "guid": "w1",
                                  "link": "https://wire.example/bridge",
                                  "description": "Cost: 60 million."}))
    assert poll_source.call(src.pk) == "1 items, 0 new, 1 changed."
    story.refresh_from_db()
    assert story.changed is not None
    listing = desk.client.get(reverse("desk") + "?view=changed").content.decode()
    assert "Bridge approved" in listing and "Source changed" in listing
    page = desk.client.get(story.get_absolute_url()).content.decode()
    assert "Cost: 40 million." in page and "Cost: 60 million." in page
    response = desk.client.post(reverse("desk_correction", args=[story.pk]), {"note": ""})
    assert response.status_code == 400 and "Write the correction" in response.content.decode()
    response = desk.client.post(reverse("desk_correction", args=[story.pk]),
                                {"note": "An earlier version gave the cost as 40 million."})
    assert response.status_code == 303
    story.refresh_from_db()
    assert story.changed is None and Correction.objects.count() == 1
    client.logout()
    topic_page = client.get(story.topic.get_absolute_url()).content.decode()
    assert "Correction," in topic_page and "gave the cost as 40 million" in topic_page


def test_a_correction_needs_a_published_story(desk):
    response = desk.client.post(reverse("desk_correction", args=[desk.story.pk]),
                                {"note": "Something."})
    assert response.status_code == 409


def test_dismissing_a_change(desk):
    publish(desk)
    Story.objects.update(changed=timezone.now())
    desk.client.post(reverse("desk_correction", args=[desk.story.pk]), {"intent": "dismiss"})
    desk.story.refresh_from_db()
    assert desk.story.changed is None and Correction.objects.count() == 0


def test_adding_a_source_and_its_health_page(desk):
    response = desk.client.post(reverse("desk_sources"), {
        "name": "Wire", "feed_url": "https://wire.example/feed.json",
        "category": desk.category.pk, "interval_minutes": 15, "active": "on"})
    assert response.status_code == 303
    src = Source.objects.get(name="Wire")
    assert src.next_poll is not None and src.interval_minutes == 15
    page = desk.client.get(reverse("desk_sources")).content.decode()
    assert "Wire" in page and "Not polled yet." in page
    Source.objects.filter(pk=src.pk).update(failures=2, last_error="The server answered 500.")
    assert "Failed 2 times:" in desk.client.get(reverse("desk_sources")).content.decode()
    assert "failed its last poll" in desk.client.get(reverse("desk")).content.decode()
    Source.objects.filter(pk=src.pk).update(next_poll=timezone.now() + timedelta(days=1))
    desk.client.post(reverse("desk_source_poll", args=[src.pk]))
    src.refresh_from_db()
    assert src.next_poll <= timezone.now()


@pytest.mark.parametrize("data,message", [
    ({"feed_url": "file:///etc/passwd"}, "Only http:// and https://"),
    ({"feed_url": "https://ledger.example/rss"}, "Another source already polls that feed."),
    ({"interval_minutes": 1}, "greater than or equal to 5"),
    ({"name": "   "}, "Give the source a name."),
    ({"category": 0}, "Choose one of the listed categories."),
])
def test_bad_sources_are_refused(desk, data, message):
    fields = {"name": "Wire", "feed_url": "https://wire.example/feed", "interval_minutes": 30,
              "category": desk.category.pk} | data
    response = desk.client.post(reverse("desk_sources"), fields)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Source.objects.count() == 1


def test_the_desk_forms_take_the_limits_in_force_when_they_are_used(desk, settings):
    settings.NEWS_MIN_POLL_MINUTES, settings.TITLE_MAX_CHARS, settings.POST_MAX_CHARS = 60, 5, 10
    source = SourceForm({"name": "Wire", "feed_url": "https://wire.example/feed",
                         "interval_minutes": 30, "category": desk.category.pk})
    assert source.errors["interval_minutes"] == [
        "Ensure this value is greater than or equal to 60."]
    assert 'min="60"' in str(SourceForm()["interval_minutes"])
    story = StoryForm({"title": "x" * 6, "body": "x" * 11})
    assert sorted(story.errors) == ["body", "title"]
    assert 'maxlength="5"' in str(story["title"]) and 'maxlength="10"' in str(story["body"])


def test_editing_a_source(desk):
    url = reverse("desk_source", args=[desk.source.pk])
    response = desk.client.post(url, {"name": "Ledger", "feed_url": "https://ledger.example/v2",
                                      "category": desk.category.pk, "interval_minutes": 60})
    assert response.status_code == 303
    desk.source.refresh_from_db()
    assert (desk.source.name, desk.source.active, desk.source.etag) == ("Ledger", False, "")
    assert desk.client.get(reverse("desk_source", args=[9999])).status_code == 404
