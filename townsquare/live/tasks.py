from django.tasks import task

from . import actions


@task
def prune_live_events() -> int:
    """Drop old events from the live event log (safe to run twice). The worker's clock
    queues it when the stream processes have not pruned for a while (schedule.py)."""
    return actions.prune_events()
