from django.tasks import task

from . import actions, sending


@task
def send_digest_batch(digest_id: int) -> dict:
    """Send one batch of a digest, then queue the next while deliveries are pending. Safe
    to run twice, or two at once: each delivery is claimed before it is sent."""
    result = sending.send_batch(digest_id)
    if result["more"]:
        actions.queue_next_batch(digest_id)
    return result
