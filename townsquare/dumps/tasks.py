from django.tasks import task

from . import actions


@task
def run_scheduled_backup(backup_id: int) -> str:
    """Take a scheduled backup; safe to run twice (the second run finds it started)."""
    return actions.run_scheduled_backup(backup_id=backup_id)
