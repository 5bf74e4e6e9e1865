"""Collecting posts to quote in a reply: at most MAX_QUOTES, and only posts the member may see
that were not deleted."""

import pytest

from townsquare.core.errors import Invalid, NotFound
from townsquare.drafts.actions import MAX_QUOTES
from townsquare.forum.actions_quoting import collect_quote
from townsquare.forum.models import Post

pytestmark = pytest.mark.django_db


def test_collecting_quotes_is_capped_and_hidden_posts_refused(make_member, make_topic,
                                                             add_replies):
    member = make_member()
    topic = make_topic()
    add_replies(topic, MAX_QUOTES + 1, authors=[make_member()])
    posts = list(Post.objects.filter(topic=topic).order_by("position"))
    for post in posts[:MAX_QUOTES]:
        collect_quote(member=member, post_id=post.pk)
    with pytest.raises(Invalid, match="at most"):
        collect_quote(member=member, post_id=posts[MAX_QUOTES].pk)
    hidden = posts[-1]
    Post.objects.filter(pk=hidden.pk).update(hidden=True)
    with pytest.raises(NotFound):
        collect_quote(member=member, post_id=hidden.pk)


def test_a_deleted_post_cannot_be_collected(make_member, make_topic, add_replies):
    member = make_member()
    (reply,) = add_replies(make_topic(), 1, authors=[make_member()])
    Post.objects.filter(pk=reply.pk).update(deleted=reply.created)
    with pytest.raises(Invalid, match="deleted"):
        collect_quote(member=member, post_id=reply.pk)
    assert collect_quote(member=member, post_id=reply.topic.posts.get(position=1).pk) == (
        True, [reply.topic.posts.get(position=1).pk])
