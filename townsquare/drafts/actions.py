"""Saving and clearing drafts and collected quotes; each keeps the member's index right.

The topics a member has drafts in are cached under their state version (see queries.py): a
draft made or deleted changes it, a draft's text does not.
"""

from django.conf import settings

from townsquare.accounts.state import STATE
from townsquare.core.errors import Invalid
from townsquare.core.inputs import member_text
from townsquare.core.invalidation import changes, outcome
from townsquare.core.ratelimit import check_rate

from .models import Draft

MAX_QUOTES = 10


def save_draft(*, member, topic, body: str) -> Draft:
    body = member_text(body).replace("\r\n", "\n")
    if len(body) > settings.POST_MAX_CHARS:
        raise Invalid(f"Drafts are limited to {settings.POST_MAX_CHARS:,} characters "
                      f"(this one has {len(body):,}).", field="body")
    check_rate("draft", f"user:{member.pk}")
    return _keep_draft(member=member, topic=topic, body=body)


@changes(STATE.of("member", when="created"))
def _keep_draft(*, member, topic, body: str) -> Draft:
    draft, created = Draft.objects.update_or_create(member=member, topic=topic,
                                                    defaults={"body": body})
    return outcome(draft, created=created)


@changes(STATE.of("member", when="result"))
def clear_draft(*, member, topic) -> bool:
    """Forget the member's draft and collected quotes in `topic` (after posting, or asked);
    whether there was one."""
    deleted, _ = Draft.objects.filter(member=member, topic=topic).delete()
    return deleted > 0


@changes(STATE.of("member", when="created"))
def toggle_quote(*, member, post_id: int, topic_id: int) -> tuple[bool, list[int]]:
    """Add post `post_id` to (or take it out of) the quotes the member is collecting in its
    topic `topic_id`. Which posts the member may collect is the forum's to say: its
    collect_quote checks, then calls this.

    Returns whether it is now collected, and the collected ids.
    """
    draft, created = Draft.objects.select_for_update().get_or_create(member=member,
                                                                     topic_id=topic_id)
    ids = [i for i in draft.quote_ids if i != post_id]
    selected = len(ids) == len(draft.quote_ids)
    if selected:
        if len(ids) >= MAX_QUOTES:
            raise Invalid(f"You can collect at most {MAX_QUOTES} quotes for one reply.")
        ids.append(post_id)
    draft.quote_ids = ids
    draft.save(update_fields=["quote_ids", "updated"])
    return outcome((selected, ids), created=created)
