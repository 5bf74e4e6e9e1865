"""The admin site's saves of categories, topics and posts, with what each changes.

The admin's forms set a row's fields and these save it, so its cached pages follow as they
do after any other write. Who may read a category, which category a topic is in and whether
it is hidden are written by the actions of actions_access.py (they also tell the open event
streams), which the admin calls after these. The admin checks who may save.

A row's version is not saved from the form: a write since the form was read may have moved it
on, and writing it back would move it back, to a version pages were cached under before.
"""

from django.db.models import Q

from townsquare.core.invalidation import changes

from .actions import CATEGORY, POST, TOPIC, rerender_quoting
from .models import Category, Post, Topic


# Topic pages show their category (breadcrumb, who may start topics): a rename must reach
# them too. Rare, so one UPDATE over the category's topics is fine.
@changes(CATEGORY.of("category"),
         TOPIC.of(lambda category, **_: Topic.objects.filter(category=category)))
def save_category(*, category: Category) -> Category:
    _save(category)
    return category


@changes(TOPIC.of("topic"), CATEGORY.of(lambda topic, **_: topic.category_id))
def save_topic(*, topic: Topic) -> Topic:
    _save(topic)
    return topic


@changes(POST.of("post"))
def save_post(*, post: Post, hidden_changed: bool) -> Post:
    _save(post)
    if hidden_changed:  # quotes of it follow who may see it now
        rerender_quoting(Q(pk=post.pk))
    return post


def _save(row) -> None:
    if row._state.adding:
        row.save()
    else:
        row.save(update_fields=[f.name for f in row._meta.concrete_fields
                                if not f.primary_key and f.name != "version"])
