from django.tasks import task

from . import actions


@task
def poll_source(source_id: int) -> str:
    """Fetch one source's feed and take in its items (failures go on its health record)."""
    return actions.poll_source(source_id)


@task
def extract_story(story_id: int, image_url: str = "") -> str:
    """Fetch a new story's article page and lead image."""
    return actions.extract_story(story_id, image_url)


@task
def publish_due_stories() -> int:
    return actions.publish_due()
