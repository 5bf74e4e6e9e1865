from django.db import models


class RateCount(models.Model):
    """How many times someone did something in one rate-limit window (see ratelimit.py)."""

    key = models.CharField(primary_key=True, max_length=300)
    count = models.PositiveIntegerField(default=0)
    expires = models.DateTimeField(db_index=True)

    def __str__(self):
        return f"{self.key}: {self.count}"


class Heartbeat(models.Model):
    """When a background process last showed it was alive (`/health/`, `townsquare status`)."""

    name = models.CharField(primary_key=True, max_length=40)
    beat_at = models.DateTimeField()

    def __str__(self):
        return f"{self.name}: {self.beat_at:%Y-%m-%d %H:%M:%S}"
