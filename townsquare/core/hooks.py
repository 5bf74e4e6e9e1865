"""What a write sets off in the apps built on the one that writes, declared in one table.

An app low in the import order (the forum) cannot call the apps built on it (notifications)
without a cycle, so its write names the moment instead — `run("post_written", post, ...)` — and
`settings.WRITE_HOOKS` lists, in order, the functions run at that moment, inside the writer's
transaction (so what they write exists exactly when the write does). Reading that setting
shows everything a write sets off.
"""

from functools import cache
from importlib import import_module

from django.conf import settings


def run(moment: str, *args, **kwargs) -> None:
    for function in _functions(moment, tuple(settings.WRITE_HOOKS.get(moment, ()))):
        function(*args, **kwargs)


@cache
def _functions(moment: str, paths: tuple[str, ...]) -> list:
    found = []
    for path in paths:
        module, _, name = path.rpartition(".")
        found.append(getattr(import_module(module), name))
    return found
