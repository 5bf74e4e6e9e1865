"""Settings for the killed-worker test's subprocesses: the site's own (its data folder and
EMAIL_URL come from the environment the test gives), with a slow file mail backend and the
stall cutoff from TEST_NEWSLETTER_STALL_SECONDS."""

import os

from config.settings import *  # noqa: F403
from config.settings import MAILERS

MAILERS = {"default": {**MAILERS["default"],
                       "BACKEND": "townsquare.newsletter.tests.slow_mail.EmailBackend"}}
NEWSLETTER_STALL_SECONDS = float(os.environ.get("TEST_NEWSLETTER_STALL_SECONDS", "300"))
