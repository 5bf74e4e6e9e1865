"""A mail backend for the killed-worker test's subprocesses: Django's file backend, with a
pause before each message so that the test can kill the worker in the middle of a batch."""

import os
import time

from django.core.mail.backends.filebased import EmailBackend as FileBackend


class EmailBackend(FileBackend):
    def send_messages(self, messages):
        time.sleep(float(os.environ.get("TEST_MAIL_DELAY", "0")))
        return super().send_messages(messages)
