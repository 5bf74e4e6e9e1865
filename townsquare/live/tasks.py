from django.tasks import task

from . import actions


@task
def prune_live_events() -> int:
    """Drop old events from the live event log (safe to run twice; stream processes also
    prune as they run, so this is for sites that run their streams elsewhere)."""
    return actions.prune_events()
