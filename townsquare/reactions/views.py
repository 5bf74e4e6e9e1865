from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.views.decorators.http import require_POST

from townsquare.core.errors import Forbidden
from townsquare.core.http import see_other
from townsquare.core.ratelimit import check_rate
from townsquare.forum.queries import get_post
from townsquare.forum.rendering import reactions_html

from . import actions


@require_POST
def post_react(request, post_id: int):
    if not request.user.is_authenticated:
        raise Forbidden("Sign in to react to posts.")
    post = get_post(post_id, request.user)
    check_rate("react", f"user:{request.user.pk}")
    mine = actions.react_to_post(member=request.user, post=post, kind=request.POST.get("kind", ""))
    if not request.htmx:
        return see_other(post.get_absolute_url())
    post.refresh_from_db(fields=["reaction_counts"])
    return HttpResponse(reactions_html(post, member=request.user, mine=mine,
                                       csrf_token=get_token(request)))
