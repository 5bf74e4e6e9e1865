from django.tasks import task

from . import sending


@task
def send_digest_batch(digest_id: int) -> dict:
    """Send one batch of a digest, then queue the next while deliveries are pending. Safe
    to run twice, or two at once: each delivery is claimed before it is sent."""
    return sending.send_batch(digest_id, queue_next=send_digest_batch.enqueue)
