"""Declared invalidation: an action's declaration bumps what it names, in its transaction."""

import pytest
from django.db import connection, transaction

from townsquare.core.invalidation import Versioned, add_one, changes, outcome, unchanged

pytestmark = pytest.mark.django_db


@pytest.fixture
def bumped():
    """Two kinds of version that write down what they are given."""
    calls = []
    kinds = {name: Versioned(name, lambda targets, name=name: calls.append((name, targets)))
             for name in ("topic", "bell")}
    return calls, kinds["topic"], kinds["bell"]


def test_each_kind_is_bumped_once_with_every_target_its_lines_pick(bumped):
    calls, topic, bell = bumped

    @changes(topic.of("topic_id"), topic.of(lambda result, **_: result),
             bell.of(lambda members, **_: members))
    def act(*, topic_id, members):
        return 7

    assert act(topic_id=3, members=(1, None, 2)) == 7
    assert calls == [("topic", [3, 7]), ("bell", [1, 2])]


def test_facts_reach_the_declaration_and_the_caller_gets_the_result(bumped):
    calls, topic, bell = bumped

    @changes(topic.of("made", when="created"), bell.of("member", when="notified"))
    def act(*, member, created):
        return outcome("done", made=5, created=created, notified=False)

    assert act(member=1, created=True) == "done"
    assert act(member=1, created=False) == "done"
    assert calls == [("topic", [5])]


def test_an_action_that_changed_nothing_bumps_nothing(bumped):
    calls, topic, _ = bumped

    @changes(topic.of("result"))
    def act(*, same):
        return unchanged(1) if same else 2

    assert act(same=True) == 1
    assert calls == []
    assert act(same=False) == 2
    assert calls == [("topic", [2])]


def test_positional_arguments_and_defaults_are_named_for_the_declaration(bumped):
    calls, topic, _ = bumped

    @changes(topic.of("post"), topic.of("extra"), atomic=False)
    def act(post, *, extra=9):
        return None

    act(4)
    assert calls == [("topic", [4, 9])]


def test_a_failing_action_bumps_nothing(bumped):
    calls, topic, _ = bumped

    @changes(topic.of("topic_id"))
    def act(*, topic_id):
        raise ValueError("refused")

    with pytest.raises(ValueError):
        act(topic_id=1)
    assert calls == []


def test_the_bumps_are_in_the_actions_transaction(make_category):
    from townsquare.forum.models import Category

    category = make_category()
    broken = Versioned("broken", lambda targets: 1 / 0)

    @changes(broken.of("category"))
    def rename(*, category):
        Category.objects.filter(pk=category.pk).update(title="Renamed")

    with pytest.raises(ZeroDivisionError):
        rename(category=category)
    assert Category.objects.get(pk=category.pk).title == category.title  # rolled back


def test_an_action_opens_its_own_transaction_unless_it_runs_in_its_callers(bumped):
    calls, topic, _ = bumped
    depth = []

    def act():
        depth.append(len(connection.savepoint_ids))

    with transaction.atomic():
        outer = len(connection.savepoint_ids)
        changes(topic.of("result"))(act)()
        changes(topic.of("result"), atomic=False)(act)()
    assert depth == [outer + 1, outer]


def test_add_one_takes_ids_rows_and_querysets_and_rows_take_the_new_value(make_category):
    from townsquare.forum.models import Category

    first, second, third = make_category(), make_category(), make_category()
    add_one(Category, [first.pk, second, Category.objects.filter(pk=third.pk), second])
    assert second.version == 1 and first.version == 0  # a row passed twice takes it once
    assert dict(Category.objects.values_list("pk", "version")) == {
        first.pk: 1, second.pk: 1, third.pk: 1}
