from django.http import HttpResponse
from django.template.loader import render_to_string
from django.views.decorators.http import require_POST

from townsquare.core.errors import Forbidden
from townsquare.core.http import see_other
from townsquare.core.ratelimit import check_rate
from townsquare.core.shell import Shell
from townsquare.forum.queries import get_post

from . import actions
from .queries import reactions_block


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
    return HttpResponse(reactions_html(request, post, mine=mine))


def reactions_html(request, post, *, mine: str | None) -> str:
    """The post's reactions block (components/post.html#reactions) for the member who just
    reacted: their own button pressed."""
    return Shell(render_to_string("components/post.html#reactions", reactions_block(
        post, may={"react": True, "pressed": mine or ""}))).fill(request)
