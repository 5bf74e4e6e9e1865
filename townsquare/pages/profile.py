"""A member's profile page: who they are (accounts), their topics and posts the viewer may see
(forum), and whether the viewer follows or ignores them (notifications)."""

from urllib.parse import urlencode

from django.shortcuts import redirect, render
from django.views.decorators.http import require_safe

from townsquare.accounts.queries import get_member
from townsquare.core.errors import NotFound
from townsquare.core.inputs import PAGE_DIGITS, whole_number
from townsquare.core.pagination import Page, page_links
from townsquare.forum.queries import list_member_posts, list_member_topics
from townsquare.notifications.queries import ignored_ids, is_following


@require_safe
def member(request, username: str):
    profile = get_member(username)
    if profile.username != username:
        query = request.GET.urlencode()
        return redirect(profile.get_absolute_url() + (f"?{query}" if query else ""),
                        permanent=True)
    topics = list_member_topics(profile, _page_number(request, "topics"), request.user)
    posts = list_member_posts(profile, _page_number(request, "posts"), request.user)
    context = {
        "profile": profile, "own": request.user.pk == profile.pk,
        "topics": topics, "topic_pages": _page_nav(request, "topics", topics),
        "posts": posts, "post_pages": _page_nav(request, "posts", posts),
    }
    if request.user.is_authenticated and request.user.pk != profile.pk:
        context["following"] = is_following(request.user, profile)
        context["ignoring"] = profile.pk in ignored_ids(request.user)
    return render(request, "pages/member.html", context)


def _page_number(request, name: str) -> int:
    page = whole_number(request.GET.get(name, "1"), digits=PAGE_DIGITS)
    if page is None:
        raise NotFound("That page does not exist.")
    return page


def _page_nav(request, name: str, page: Page) -> dict:
    """Links to the pages of one of a profile's lists, keeping the other list's page."""
    kept = {key: request.GET[key] for key in ("topics", "posts")
            if key != name and request.GET.get(key, "1") != "1"}

    def url(number: int) -> str:
        query = urlencode(kept | ({name: number} if number > 1 else {}))
        return f"{request.path}{'?' if query else ''}{query}#member-{name}"

    links = [None if n is None else {"number": n, "url": url(n)}
             for n in page_links(page.number, page.last)]
    return {"links": links if page.last > 1 else [], "page": page.number,
            "prev": url(page.number - 1) if page.number > 1 else "",
            "next": url(page.number + 1) if page.number < page.last else ""}
