from datetime import timedelta

from django.tasks import task

from . import actions


@task
def prune_uploads(hours: int = 24) -> int:
    """Delete uploads no post has used within `hours` (safe to run twice)."""
    return actions.delete_orphan_uploads(older_than=timedelta(hours=hours))
