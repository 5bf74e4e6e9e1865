"""Writes that change who may read a topic: moving it to another category, hiding or showing
it, a category's read rule.

Pages follow at once (each declares the versions their cached copies are keyed by, and the
guest cache checks the stamps). Open event streams are told after the commit (`live.py`), so
a reader who may no longer read the topic is sent nothing more from it.
"""

from django.db.models import F, Q

from townsquare.accounts.models import Role, User
from townsquare.core.errors import Forbidden, Invalid, NotFound
from townsquare.core.invalidation import changes, outcome, unchanged

from . import live, permissions
from .actions import CATEGORY, TOPIC, rerender_quoting
from .models import Category, Topic


@changes(TOPIC.of("result"), CATEGORY.of("left"), CATEGORY.of("category"))
def move_topic(*, by: User, topic: Topic, category: Category) -> Topic:
    """Put a topic (with its posts' counts) in another category."""
    topic = _locked_topic(by, topic.pk)
    category = Category.objects.select_for_update().filter(pk=category.pk).first()
    if category is None or not permissions.can_view_category(by, category):
        raise NotFound("That category does not exist.")
    if topic.category_id == category.pk:
        return unchanged(topic)
    left = topic.category_id
    for moved, sign in ((topic.category, -1), (category, 1)):
        Category.objects.filter(pk=moved.pk).update(
            topic_count=F("topic_count") + sign,
            post_count=F("post_count") + sign * topic.post_count)
    Topic.objects.filter(pk=topic.pk).update(category=category)
    before = permissions.audience_rank(topic)
    topic.category = category
    if permissions.audience_rank(topic) != before:
        # Quotes of its posts elsewhere name who wrote them only for readers who may see.
        rerender_quoting(Q(topic_id=topic.pk))
    live.publish_topic_access(topic)
    return outcome(topic, left=left)


@changes(TOPIC.of("result"), CATEGORY.of(lambda result, **_: result.category_id))
def set_topic_hidden(*, by: User, topic: Topic, hidden: bool) -> Topic:
    """Hide a topic from everybody but moderators, or show it again."""
    topic = _locked_topic(by, topic.pk)
    if topic.hidden == hidden:
        return unchanged(topic)
    Topic.objects.filter(pk=topic.pk).update(hidden=hidden)
    topic.hidden = hidden
    rerender_quoting(Q(topic_id=topic.pk))
    live.publish_topic_access(topic)
    return topic


# Topic pages carry the rule in their cached copies and stamps.
@changes(CATEGORY.of("result"),
         TOPIC.of(lambda result, **_: Topic.objects.filter(category=result)))
def set_category_read_role(*, by: User, category: Category, read_role: str) -> Category:
    """Who may read a category: everyone (""), or members with that role and above."""
    if not (permissions.is_member(by) and by.has_role(Role.ADMIN)):
        raise Forbidden("Only administrators set who may read a category.")
    if read_role not in ("", *Role.values):
        raise Invalid(f"“{read_role[:40]}” is not a role.", field="read_role")
    category = Category.objects.select_for_update().get(pk=category.pk)
    if category.read_role == read_role:
        return unchanged(category)
    before = permissions.audience_rank(category)
    Category.objects.filter(pk=category.pk).update(read_role=read_role)
    category.read_role = read_role
    if permissions.audience_rank(category) != before:
        rerender_quoting(Q(topic__category_id=category.pk))
    live.publish_category_access(category)
    return category


def _locked_topic(by: User, topic_id: int) -> Topic:
    topic = (Topic.objects.select_for_update(of=("self",)).select_related("category")
             .filter(pk=topic_id).first())
    if topic is None or not permissions.can_view_topic(by, topic):
        raise NotFound("That topic does not exist.")
    if not permissions.is_moderator(by):
        raise Forbidden("Only moderators move, hide or show topics.")
    return topic
