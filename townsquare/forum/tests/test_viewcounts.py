import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from townsquare.forum import viewcounts
from townsquare.forum.models import Topic

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_leftover_counts():
    viewcounts.flush()
    yield
    viewcounts._pending.clear()


def test_views_are_counted_in_memory_without_a_write_per_view(client, make_topic):
    topic = make_topic()
    with CaptureQueriesContext(connection) as ctx:
        for _ in range(5):
            client.get(topic.get_absolute_url())
    assert not [q for q in ctx.captured_queries if "UPDATE" in q["sql"].upper()]
    assert Topic.objects.get(pk=topic.pk).views == 0
    viewcounts.flush()
    assert Topic.objects.get(pk=topic.pk).views == 5


def test_counts_are_written_once_the_interval_has_passed(client, make_topic, monkeypatch):
    topic = make_topic()
    client.get(topic.get_absolute_url())
    monkeypatch.setattr(viewcounts, "_last_flush", viewcounts._last_flush - 31)
    client.get(topic.get_absolute_url())
    assert Topic.objects.get(pk=topic.pk).views == 2
    assert not viewcounts._pending


def test_writing_counts_does_not_make_cached_pages_stale(make_topic):
    topic = make_topic()
    version = Topic.objects.get(pk=topic.pk).version
    viewcounts.write_counts({topic.pk: 3})
    refreshed = Topic.objects.get(pk=topic.pk)
    assert (refreshed.views, refreshed.version) == (3, version)
