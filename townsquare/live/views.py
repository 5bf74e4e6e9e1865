from django.http import HttpResponse
from django.views.decorators.http import require_POST

from townsquare.core.errors import Forbidden
from townsquare.core.ratelimit import check_rate
from townsquare.forum import permissions
from townsquare.forum.queries import get_topic

from .events import publish


@require_POST
def topic_typing(request, topic_id: int):
    """"{member} is replying…" for the topic's other readers (sent by the reply box's script)."""
    topic = get_topic(topic_id, request.user)
    if not permissions.can_reply(request.user, topic):
        raise Forbidden("Only members who can reply show as replying.")
    check_rate("typing", f"user:{request.user.pk}")
    if not request.user.browse_invisibly:
        publish(topic.pk, "typing", {"username": request.user.username})
    return HttpResponse(status=204)
