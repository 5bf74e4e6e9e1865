"""A worker killed in the middle of sending a digest, then started again: every subscriber
gets the digest exactly once, except at most one whose message was in flight ("unknown"),
and nobody gets it twice.

Real processes on a file database of their own (not the test database): `townsquare worker`
with the mail written to files slowly, SIGKILL, then `townsquare worker --once`.
"""

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
READERS = 20
BATCH = 4

SEED = f"""
import secrets
from datetime import timedelta

import django

django.setup()
from django.core.management import call_command
from django.utils import timezone

call_command("migrate", verbosity=0)
from townsquare.accounts.models import User
from townsquare.forum.actions import post_reply, start_topic
from townsquare.forum.models import Category
from townsquare.newsletter import schedule
from townsquare.newsletter.models import Subscriber

now = timezone.now()
slot = schedule.due_period_end("daily", now)
author = User.objects.create(username="writer", email="writer@example.org")
category = Category.objects.create(title="News", slug="news", position=1)
topic = start_topic(author=author, category=category, title="The harbour reopens",
                    body="It is open again.", created=slot - timedelta(hours=3))
post_reply(author=author, topic=topic, body="Good news.", created=slot - timedelta(hours=2))
Subscriber.objects.bulk_create([
    Subscriber(email=f"reader{{n}}@example.org", frequency="daily", status="active",
               created=now, confirmed=now, confirm_nonce=secrets.token_urlsafe(16),
               manage_key=secrets.token_urlsafe(16))
    for n in range({READERS})])
"""

REPORT = """
import json

import django

django.setup()
from townsquare.newsletter.models import Delivery, Digest

digest = Digest.objects.get(frequency="daily")
print(json.dumps({
    "digest": [digest.status, digest.recipients, digest.sent, digest.unknown],
    "deliveries": dict(Delivery.objects.filter(digest=digest)
                       .values_list("subscriber__email", "status")),
}))
"""


def environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "REDIS_URL", "EMAIL_URL", "PYTEST_XDIST_WORKER")}
    return env | {
        "DJANGO_SETTINGS_MODULE": "townsquare.newsletter.tests.worker_settings",
        "TOWNSQUARE_DATA_DIR": str(tmp_path / "data"),
        "EMAIL_URL": f"file://{tmp_path / 'mail'}",
        "NEWSLETTER_BATCH_SIZE": str(BATCH),
        "TEST_MAIL_DELAY": "0.25",
        "TEST_NEWSLETTER_STALL_SECONDS": "300",
        "LOG_LEVEL": "ERROR",
    } | extra


def python(args: list[str], env: dict[str, str], timeout: float = 180) -> str:
    done = subprocess.run([sys.executable, *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=timeout)
    assert done.returncode == 0, f"{args[:3]} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def mailed(folder: Path) -> dict[str, int]:
    """How many messages the file backend wrote to each address."""
    counts: dict[str, int] = {}
    for path in folder.glob("*.log") if folder.exists() else []:
        for address in re.findall(r"^To: (\S+)$", path.read_text(errors="replace"), re.M):
            counts[address] = counts.get(address, 0) + 1
    return counts


def test_a_worker_killed_mid_batch_resumes_without_sending_anything_twice(tmp_path):
    env = environment(tmp_path)
    python(["-c", SEED], env)

    # The worker's clock makes the due daily digest and sends it, slowly; kill it mid-way.
    worker = subprocess.Popen(
        [sys.executable, "-m", "townsquare.cli", "worker", "--interval", "0.1", "--tick", "1"],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while sum(mailed(tmp_path / "mail").values()) < BATCH + 2:
            assert worker.poll() is None, f"the worker stopped:\n{worker.stderr.read()}"
            assert time.monotonic() < deadline, "the worker sent nothing in two minutes"
            time.sleep(0.05)
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    before = sum(mailed(tmp_path / "mail").values())
    assert BATCH + 2 <= before < READERS  # killed in its second batch, with work left

    # Started again (its clock sees the stalled digest at once with a zero cutoff).
    python(["-m", "townsquare.cli", "worker", "--once"],
           environment(tmp_path, TEST_NEWSLETTER_STALL_SECONDS="0"))

    report = json.loads(python(["-c", REPORT], env))
    counts = mailed(tmp_path / "mail")
    readers = {f"reader{n}@example.org" for n in range(READERS)}
    statuses = report["deliveries"]
    assert set(statuses) == readers
    assert all(counts.get(address, 0) <= 1 for address in readers), counts
    unknown = [address for address, status in statuses.items() if status == "sending"]
    assert len(unknown) <= 1, statuses
    assert all(status == "sent" for address, status in statuses.items()
               if address not in unknown), statuses
    assert all(counts.get(address) == 1 for address in readers - set(unknown)), counts
    assert report["digest"] == ["done", READERS, READERS - len(unknown), len(unknown)]
