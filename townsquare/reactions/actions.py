"""Reacting to posts: one reaction per member per post, counts kept on the post row."""

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from townsquare.core.errors import Forbidden, Invalid, NotFound
from townsquare.forum.actions import bump_post_version
from townsquare.forum.live import publish_reactions
from townsquare.forum.models import Post
from townsquare.forum.permissions import can_view_post
from townsquare.notifications.actions import notify_reaction

from .models import Kind, Reaction
from .permissions import can_react


def react_to_post(*, member, post: Post, kind: str) -> str | None:
    """Give `kind` to the post; giving the reaction the member already gave takes it back.

    Returns the member's reaction after the change (None when removed).
    """
    if kind not in Kind.values:
        raise Invalid(f"“{kind}” is not one of this site's reactions.", field="kind")
    with transaction.atomic():
        post = _locked_post(member, post.pk)
        current = Reaction.objects.filter(post=post, user=member).first()
        if current and current.kind == kind:
            current.delete()
            result = None
        elif current:
            current.kind = kind
            current.save(update_fields=["kind"])
            result = kind
        else:
            Reaction.objects.create(post=post, user=member, kind=kind, created=timezone.now())
            notify_reaction(post=post, member=member, kind=kind)
            result = kind
        _store_counts(post)
    return result


def remove_reaction(*, member, post: Post) -> None:
    with transaction.atomic():
        post = _locked_post(member, post.pk)
        Reaction.objects.filter(post=post, user=member).delete()
        _store_counts(post)


def _locked_post(member, post_id: int) -> Post:
    post = Post.objects.select_for_update().select_related("topic").filter(pk=post_id).first()
    if post is None or not can_view_post(member, post):
        raise NotFound("That post does not exist.")
    if not can_react(member, post):
        if post.author_id == getattr(member, "pk", None):
            raise Forbidden("You can't react to your own post.")
        raise Forbidden("Sign in to react to posts.")
    return post


def _store_counts(post: Post) -> None:
    """Recount from the reaction rows, under the post's lock, so counts never drift."""
    rows = Reaction.objects.filter(post=post).values("kind").annotate(n=Count("id"))
    counts = {row["kind"]: row["n"] for row in rows}
    post.reaction_counts = {k: counts[k] for k in Kind.values if counts.get(k)}
    post.save(update_fields=["reaction_counts"])
    bump_post_version(post)
    publish_reactions(post)
