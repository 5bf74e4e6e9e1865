from django.db import models


class ScheduledBackup(models.Model):
    """One period's backup taken by the worker (see schedule.py): the unique period lets
    only one of several workers' clocks queue it, and `started` lets only one task run it."""

    period = models.DateTimeField(unique=True)
    queued = models.DateTimeField()
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)
    folder = models.CharField(max_length=64, blank=True)
    error = models.CharField(max_length=500, blank=True)

    def __str__(self):
        return self.folder or f"backup due {self.period:%Y-%m-%d %H:%M}"
