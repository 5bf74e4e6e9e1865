from django.tasks import task

from .actions import extraction, sources, stories


@task
def poll_source(source_id: int) -> str:
    """Fetch one source's feed and take in its items (failures go on its health record);
    each new story's article page is fetched by an extract_story task."""
    return sources.poll_source(source_id, queue_extraction=extract_story.enqueue)


@task
def extract_story(story_id: int, image_url: str = "") -> str:
    """Fetch a new story's article page and lead image."""
    return extraction.extract_story(story_id, image_url)


@task
def publish_due_stories() -> int:
    return stories.publish_due()
