"""The event stream process (`townsquare serve` runs it beside the WSGI page workers)."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from townsquare.live.stream import application  # noqa: E402

__all__ = ["application"]
