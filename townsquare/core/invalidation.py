"""What a write changes, declared on the action, and the declaration does the bumping.

Cached pages and parts are keyed by versions kept on the rows they show (a topic's, a post's,
a category's, a member's state and bell): a write gives the rows it changes new versions in
its transaction, and from then on readers ask for new keys (pagecache.py, memo.py). Which
versions a write changes is said once, on the action, and nowhere else:

    @changes(POST.of("result"))
    def edit_post(*, editor, post, body, ...) -> Post:

Each line names a kind of version (a `Versioned`, kept by the app that stores it) and which
of the call's values it is for: a keyword argument, "result", or a fact the action returned
with `outcome(result, created=...)` — by name, or a function given all of them by keyword.
`when` names the value that says whether it changed at all. An action that changed nothing
returns `unchanged(result)` and bumps nothing.

The action runs in one transaction (a savepoint inside its caller's) and the bumps are its
last statements, so a reader never finds the new rows under the old versions. With
`atomic=False` the action opens none: it runs inside its caller's transaction (notifying from
inside a post's), or is a single statement made on a page view; its bumps still follow its
writes. townsquare/tests/test_invalidation.py runs every action and checks that the versions
that changed are the ones its declaration names.
"""

import functools
import inspect
from collections.abc import Callable, Iterable
from contextlib import nullcontext
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, Model, QuerySet

Select = str | Callable[..., object]


class Versioned:
    """A kind of version cached copies are keyed by. `bump(targets)` gives the targets' rows
    new versions, in the current transaction; what a target is (an id, a row, a query of
    rows) is for the owning app's function to take."""

    def __init__(self, name: str, bump: Callable[[list], None]):
        self.name = name
        self._bump = bump

    def __repr__(self) -> str:
        return f"Versioned({self.name!r})"

    def of(self, select: Select, *, when: str | None = None) -> "Declared":
        return Declared(self, select, when)

    def bump(self, targets: list) -> None:
        if targets:
            self._bump(targets)


@dataclass(frozen=True)
class Declared:
    """One line of a declaration: `versioned` of what `select` picks from a call's values,
    if the value named `when` is true."""

    versioned: Versioned
    select: Select
    when: str | None = None

    def targets(self, values: dict) -> list:
        if self.when is not None and not values[self.when]:
            return []
        picked = values[self.select] if isinstance(self.select, str) else self.select(**values)
        if picked is None:
            return []
        if isinstance(picked, QuerySet | str) or not isinstance(picked, Iterable):
            return [picked]  # a queryset is one target: its rows are bumped in one statement
        return [target for target in picked if target is not None]


@dataclass(frozen=True)
class _Outcome:
    result: object
    facts: dict | None  # None: nothing changed


def outcome(result, **facts) -> _Outcome:
    """Return `result` to the caller, and `facts` (what happened) to the declaration."""
    return _Outcome(result, facts)


def unchanged(result) -> _Outcome:
    """Return `result` to the caller; the call changed nothing, so nothing is bumped."""
    return _Outcome(result, None)


def changes(*declared: Declared, atomic: bool = True):
    """Declare the versions an action changes; they are bumped when it returns (see above)."""

    def decorate(action):
        signature = inspect.signature(action)

        @functools.wraps(action)
        def run(*args, **kwargs):
            with transaction.atomic() if atomic else nullcontext():
                returned = action(*args, **kwargs)
                result, facts = ((returned.result, returned.facts)
                                 if isinstance(returned, _Outcome) else (returned, {}))
                if facts is not None:
                    call = signature.bind(*args, **kwargs)
                    call.apply_defaults()
                    _bump(declared, {**call.arguments, "result": result, **facts})
            return result

        run.declared = declared
        return run

    return decorate


def _bump(declared: Iterable[Declared], values: dict) -> None:
    """One bump per kind of version, with every target its lines picked."""
    targets: dict[Versioned, list] = {}
    for line in declared:
        targets.setdefault(line.versioned, []).extend(line.targets(values))
    for versioned, found in targets.items():
        versioned.bump(found)


def add_one(model: type[Model], targets: Iterable, field: str = "version") -> None:
    """Add one to `field` of the rows of `model` among `targets` (ids, rows, or querysets):
    one statement for the ids and rows, one per queryset. Rows passed in take the new value
    too, so the rest of the request sees it."""
    ids, queries, rows = set(), [], {}
    for target in targets:
        if isinstance(target, QuerySet):
            queries.append(target)
        elif isinstance(target, Model):
            ids.add(target.pk)
            rows[id(target)] = target
        else:
            ids.add(target)
    if ids:
        model._default_manager.filter(pk__in=ids).update(**{field: F(field) + 1})
    for query in queries:
        query.update(**{field: F(field) + 1})
    for row in rows.values():
        setattr(row, field, getattr(row, field) + 1)
