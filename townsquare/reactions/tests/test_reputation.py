"""Reputation: reactions to a member's posts, weighted, kept at write time and recounted.

Decided: a reaction counts for as long as its row exists. Hiding or deleting a post keeps what
it received (moderation does not rewrite the author's standing, and a restore gives nothing
twice), so the incremental figure and the recount always agree.
"""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from townsquare.accounts.models import User
from townsquare.core.errors import Forbidden
from townsquare.forum.actions import post_reply
from townsquare.forum.models import Post, Topic
from townsquare.reactions.actions import react_to_post, recount_reputation
from townsquare.reactions.models import Reaction

pytestmark = pytest.mark.django_db


def reputation(member) -> int:
    return User.objects.values_list("reputation", flat=True).get(pk=member.pk)


@pytest.fixture
def author(make_member):
    return make_member("author")


@pytest.fixture
def post(make_topic, author):
    return make_topic(author=author, body="React to me").posts.get()


def test_a_like_adds_one_to_the_authors_reputation(make_member, author, post):
    reader = make_member()
    react_to_post(member=reader, post=post, kind="like")
    assert reputation(author) == 1 and reputation(reader) == 0


@pytest.mark.parametrize("kind", ["like", "thanks", "haha", "love"])
def test_each_positive_kind_weighs_one(make_member, author, post, kind):
    react_to_post(member=make_member(), post=post, kind=kind)
    assert reputation(author) == 1


@pytest.mark.parametrize("kind", ["confused", "sad"])
def test_kinds_of_weight_zero_add_nothing(make_member, author, post, kind):
    react_to_post(member=make_member(), post=post, kind=kind)
    assert reputation(author) == 0


def test_several_readers_add_up(make_member, author, post):
    for kind in ("like", "love", "haha", "sad", "thanks"):
        react_to_post(member=make_member(), post=post, kind=kind)
    assert reputation(author) == 4


def test_changing_the_kind_moves_the_reputation_by_the_difference(make_member, author, post):
    reader = make_member()
    react_to_post(member=reader, post=post, kind="like")
    react_to_post(member=reader, post=post, kind="sad")
    assert reputation(author) == 0
    react_to_post(member=reader, post=post, kind="love")
    assert reputation(author) == 1
    react_to_post(member=reader, post=post, kind="thanks")  # one positive kind for another
    assert reputation(author) == 1


def test_taking_a_reaction_back_takes_its_weight_back(make_member, author, post):
    reader = make_member()
    react_to_post(member=reader, post=post, kind="haha")
    assert react_to_post(member=reader, post=post, kind="haha") is None
    assert reputation(author) == 0


def test_taking_one_reaction_back_leaves_the_others_weight(make_member, author, post):
    reader, other = make_member(), make_member()
    react_to_post(member=reader, post=post, kind="love")
    react_to_post(member=other, post=post, kind="like")
    react_to_post(member=reader, post=post, kind="love")  # the same again: taken back
    assert reputation(author) == 1


def test_other_weights_from_the_settings_apply(make_member, author, post, settings):
    settings.REPUTATION_WEIGHTS = {"like": 1, "thanks": 1, "haha": 1, "love": 3,
                                   "confused": 0, "sad": -2}
    reader = make_member()
    react_to_post(member=reader, post=post, kind="love")
    assert reputation(author) == 3
    react_to_post(member=reader, post=post, kind="sad")
    assert reputation(author) == -2
    react_to_post(member=reader, post=post, kind="sad")  # taken back
    assert reputation(author) == 0


def test_reacting_to_ones_own_post_is_refused_and_raises_nothing(author, post):
    with pytest.raises(Forbidden):
        react_to_post(member=author, post=post, kind="love")
    assert reputation(author) == 0


def test_only_the_author_of_the_reacted_post_gains(make_member, make_topic, author, post):
    replier = make_member()
    reply = post_reply(author=replier, topic=post.topic, body="A reply")
    react_to_post(member=make_member(), post=reply, kind="like")
    assert reputation(replier) == 1 and reputation(author) == 0


def test_the_change_is_arithmetic_in_the_database_not_a_read_and_a_write(
        make_member, author, post):
    reader = make_member()
    User.objects.filter(pk=author.pk).update(reputation=41)  # the copy in `post` is stale
    with CaptureQueriesContext(connection) as ctx:
        react_to_post(member=reader, post=post, kind="like")
    assert reputation(author) == 42
    # (The other updates of user rows give the reader and the author new versions of their
    # cached state: see accounts/state.py.)
    updates = [q["sql"] for q in ctx.captured_queries
               if q["sql"].startswith('UPDATE "accounts_user"') and '"reputation"' in q["sql"]]
    assert updates == [f'UPDATE "accounts_user" SET "reputation" = ("accounts_user".'
                       f'"reputation" + 1) WHERE "accounts_user"."id" = {author.pk}']


def test_a_refused_reaction_changes_no_reputation(make_member, author, post):
    with pytest.raises(Exception, match="not one of"):
        react_to_post(member=make_member(), post=post, kind="angry")
    assert reputation(author) == 0


def test_a_hidden_or_deleted_post_keeps_what_it_received(make_member, author, post):
    react_to_post(member=make_member(), post=post, kind="like")
    Post.objects.filter(pk=post.pk).update(hidden=True)
    assert reputation(author) == 1
    Post.objects.filter(pk=post.pk).update(hidden=False, deleted=timezone.now())
    assert reputation(author) == 1
    Topic.objects.filter(pk=post.topic_id).update(hidden=True)
    recount_reputation()
    assert reputation(author) == 1


# Recounting.


def build_reactions(make_member, make_topic):
    """Members reacting to each other's posts in every way: added, changed, taken back."""
    members = [make_member() for _ in range(5)]
    posts = []
    for i, member in enumerate(members):
        topic = make_topic(author=member, title=f"Topic {i}")
        posts.append(topic.posts.get())
        posts.append(post_reply(author=members[(i + 1) % 5], topic=topic, body="Reply"))
    kinds = ["like", "thanks", "haha", "confused", "sad", "love"]
    for n, p in enumerate(posts):
        for m, member in enumerate(members):
            if member.pk == p.author_id:
                continue
            react_to_post(member=member, post=p, kind=kinds[(n + m) % 6])
            if (n + m) % 4 == 0:
                react_to_post(member=member, post=p, kind=kinds[(n + 2 * m) % 6])
            given = Reaction.objects.filter(post=p, user=member).first()
            if (n + m) % 5 == 0 and given:
                react_to_post(member=member, post=p, kind=given.kind)  # taken back
    return members


def test_the_recount_equals_what_was_kept_incrementally(make_member, make_topic):
    members = build_reactions(make_member, make_topic)
    kept = {m.pk: reputation(m) for m in members}
    assert any(kept.values())
    User.objects.update(reputation=0)
    assert recount_reputation(batch_size=2) == len(members)
    assert {m.pk: reputation(m) for m in members} == kept


def test_the_recount_applies_new_weights(make_member, author, post, settings):
    react_to_post(member=make_member(), post=post, kind="sad")
    react_to_post(member=make_member(), post=post, kind="love")
    assert reputation(author) == 1
    settings.REPUTATION_WEIGHTS = {**settings.REPUTATION_WEIGHTS, "sad": 1, "love": 5}
    recount_reputation()
    assert reputation(author) == 6


def test_the_recount_with_all_weights_zero_sets_everyone_to_zero(make_member, author, post,
                                                                  settings):
    react_to_post(member=make_member(), post=post, kind="like")
    settings.REPUTATION_WEIGHTS = dict.fromkeys(settings.REPUTATION_WEIGHTS, 0)
    recount_reputation()
    assert reputation(author) == 0


def test_the_recount_ignores_reactions_to_ones_own_posts(author, post):
    # Only an import could have written one; they never count.
    Reaction.objects.create(post=post, user=author, kind="love", created=timezone.now())
    User.objects.filter(pk=author.pk).update(reputation=7)
    recount_reputation()
    assert reputation(author) == 0


def test_the_recount_costs_two_queries_per_batch_however_many_reactions(
        make_member, make_topic):
    build_reactions(make_member, make_topic)  # five members with dozens of reactions
    assert Reaction.objects.count() > 20
    with CaptureQueriesContext(connection) as ctx:
        recount_reputation(batch_size=2)
    queries = [q["sql"] for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"]]
    # Three batches: each locks and lists its members, then sums and writes in one statement.
    assert len(queries) == 6
    assert [q.split()[0] for q in queries] == ["SELECT", "UPDATE"] * 3


def test_the_command_recounts_and_says_how_many(make_member, author, post):
    react_to_post(member=make_member(), post=post, kind="like")
    User.objects.filter(pk=author.pk).update(reputation=99)
    from io import StringIO

    out = StringIO()
    call_command("recount_reputation", "--batch-size", "1", stdout=out)
    assert out.getvalue().strip() == "Recounted the reputation of 2 members."
    assert reputation(author) == 1


def test_the_command_refuses_a_batch_size_below_one():
    with pytest.raises(CommandError, match="at least 1"):
        call_command("recount_reputation", "--batch-size", "0")
