"""Reacting to posts: one reaction per member per post, counts kept on the post row, and the
author's reputation kept on theirs.

Reputation is the sum of the reactions a member's posts received, each kind weighted by
settings.REPUTATION_WEIGHTS. Every change to a reaction adds the difference it makes to the
author's row in the same transaction (`reputation + delta`, never a read and a write), and
`recount_reputation` computes it afresh from the reaction rows when the weights change. A
reaction counts for as long as its row exists: hiding or deleting a post does not take back
what it received (nor does restoring it give it again), so both ways agree. Reactions to
one's own post never count (they are refused anyway).
"""

from django.conf import settings
from django.db import transaction
from django.db.models import Case, Count, F, IntegerField, OuterRef, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from townsquare.accounts.models import User
from townsquare.accounts.state import STATE
from townsquare.core.errors import Forbidden, Invalid, NotFound
from townsquare.core.invalidation import changes, outcome
from townsquare.forum.actions import POST
from townsquare.forum.models import Post
from townsquare.forum.permissions import can_view_post
from townsquare.notifications.actions import notify_reaction

from .live import publish_reactions
from .models import Kind, Reaction
from .permissions import can_react


# A post's counts show on its topic's pages. Pages look for the member's reactions only in
# topics they reacted in (a list cached under the member's state version): a first reaction
# may add a topic to it.
@changes(POST.of("post", when="recounted"), STATE.of("member", when="first"))
def react_to_post(*, member, post: Post, kind: str) -> str | None:
    """Give `kind` to the post; giving the reaction the member already gave takes it back.

    Returns the member's reaction after the change (None when removed).
    """
    if kind not in Kind.values:
        raise Invalid(f"“{kind}” is not one of this site's reactions.", field="kind")
    post = _locked_post(member, post.pk)
    current = Reaction.objects.filter(post=post, user=member).first()
    before = current.kind if current else None
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
    _add_reputation(post, member, weight(result) - weight(before))
    return outcome(result, recounted=_store_counts(post), first=current is None)


@changes(POST.of("post", when="recounted"))
def remove_reaction(*, member, post: Post) -> None:
    post = _locked_post(member, post.pk)
    current = Reaction.objects.filter(post=post, user=member).first()
    if current:
        current.delete()
        _add_reputation(post, member, -weight(current.kind))
    return outcome(None, recounted=_store_counts(post))


def weight(kind: str | None) -> int:
    """What one reaction of `kind` adds to its post's author's reputation (none: 0)."""
    return settings.REPUTATION_WEIGHTS.get(kind, 0) if kind else 0


def _add_reputation(post: Post, member, delta: int) -> None:
    if delta and post.author_id != member.pk:
        User.objects.filter(pk=post.author_id).update(reputation=F("reputation") + delta)


def _locked_post(member, post_id: int) -> Post:
    post = Post.objects.select_for_update().select_related("topic").filter(pk=post_id).first()
    if post is None or not can_view_post(member, post):
        raise NotFound("That post does not exist.")
    if not can_react(member, post):
        if post.author_id == getattr(member, "pk", None):
            raise Forbidden("You can't react to your own post.")
        raise Forbidden("Sign in to react to posts.")
    return post


def _store_counts(post: Post) -> bool:
    """Recount from the reaction rows, under the post's lock, so counts never drift; whether
    they changed."""
    rows = Reaction.objects.filter(post=post).values("kind").annotate(n=Count("id"))
    counts = {row["kind"]: row["n"] for row in rows}
    before = post.reaction_counts
    post.reaction_counts = {k: counts[k] for k in Kind.values if counts.get(k)}
    post.save(update_fields=["reaction_counts"])
    publish_reactions(post)
    return post.reaction_counts != before


RECOUNT_BATCH = 1000


def recount_reputation(*, batch_size: int = RECOUNT_BATCH) -> int:
    """Set every member's reputation from the reaction rows and the current weights; return
    how many members were recounted.

    Members go by batches, each in its own transaction: the batch's rows are locked first, so a
    reaction given meanwhile either is counted here or adds its weight after this write, never
    lost. One aggregate query per batch computes and writes the sums.
    """
    done, after = 0, 0
    while True:
        with transaction.atomic():
            ids = list(User.objects.select_for_update().filter(pk__gt=after).order_by("pk")
                       .values_list("pk", flat=True)[:batch_size])
            if not ids:
                return done
            User.objects.filter(pk__in=ids).update(reputation=_reputation_sum())
        done += len(ids)
        if len(ids) < batch_size:
            return done
        after = ids[-1]


def _reputation_sum():
    """The weighted sum of reactions to the outer member's posts, by others."""
    weighted = [When(kind=kind, then=Value(w))
                for kind, w in settings.REPUTATION_WEIGHTS.items() if w]
    if not weighted:
        return Value(0)
    score = (Reaction.objects.filter(post__author=OuterRef("pk"))
             .exclude(user=OuterRef("pk"))
             .values("post__author")
             .annotate(score=Sum(Case(*weighted, default=Value(0),
                                      output_field=IntegerField())))
             .values("score"))
    return Coalesce(Subquery(score, output_field=IntegerField()), Value(0))
