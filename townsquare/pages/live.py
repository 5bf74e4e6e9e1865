"""What a member tells the live side from a page: that they are replying, or browse invisibly."""

from django.contrib import messages
from django.http import HttpResponse
from django.views.decorators.http import require_POST

from townsquare.core.errors import Forbidden
from townsquare.core.http import see_other
from townsquare.core.ratelimit import check_rate
from townsquare.forum import permissions
from townsquare.forum.queries import get_topic
from townsquare.live.actions import set_browse_invisibly
from townsquare.live.events import publish


@require_POST
def topic_typing(request, topic_id: int):
    """"{member} is replying…" for the topic's other readers (sent by the reply box's script)."""
    topic = get_topic(topic_id, request.user)
    if not permissions.can_reply(request.user, topic):
        raise Forbidden("Only members who can reply show as replying.")
    check_rate("typing", f"user:{request.user.pk}")
    if not request.user.browse_invisibly:
        publish(topic.pk, "typing", {"username": request.user.username,
                                       "member": request.user.pk})
    return HttpResponse(status=204)


@require_POST
def browsing_preference(request):
    """Browse invisibly (or not): the checkbox on a member's own profile page."""
    if not permissions.is_member(request.user):
        raise Forbidden("Sign in to change how you appear.")
    invisible = request.POST.get("browse_invisibly") == "on"
    set_browse_invisibly(member=request.user, invisible=invisible)
    messages.success(request, "You now browse invisibly." if invisible
                     else "You now show in Recently Browsing.")
    return see_other(request.user.get_absolute_url())
