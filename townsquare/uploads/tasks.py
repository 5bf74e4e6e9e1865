from datetime import timedelta

from django.tasks import task

from . import actions


@task
def prune_uploads(hours: int = 24) -> dict[str, int]:
    """Delete uploads no post has used within `hours`, and stray files (safe to run twice)."""
    older_than = timedelta(hours=hours)
    return {"uploads": actions.delete_orphan_uploads(older_than=older_than),
            "stray_files": actions.delete_stray_files(older_than=older_than)}
