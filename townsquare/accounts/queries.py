from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q, QuerySet
from django.db.models.functions import Lower

from townsquare.core.errors import NotFound
from townsquare.core.links import url_for
from townsquare.core.pagination import page_count
from townsquare.forum.models import Post, Topic
from townsquare.forum.permissions import visible_filter
from townsquare.notifications.models import MemberFollow

from .models import User

SUGGEST_LIMIT = 8
# Topics and posts on one page of a profile's lists.
PROFILE_PER_PAGE = 20


def list_members_starting(prefix: str, limit: int = SUGGEST_LIMIT) -> QuerySet[User]:
    """Active members whose username starts with `prefix` (any letter case), shortest first."""
    return (User.objects.filter(username__istartswith=prefix, is_active=True)
            .only("pk", "username").order_by(Lower("username"))[:limit])


def get_member_for_login(login: str) -> User | None:
    """The account a sign-in names, in any letter case: with an @ an email address, without
    one a username. Usernames have no @ now; one from before, which is nobody's address,
    still names its account, but an address always wins over such a name."""
    if "@" not in login:
        return User.objects.filter(username__iexact=login).first()
    found = {(m.email.lower() == login.lower()): m for m in User.objects.filter(
        Q(email__iexact=login) | Q(username__iexact=login))[:2]}
    return found.get(True) or found.get(False)


def get_member(username: str) -> User:
    """An active member by username in any letter case."""
    member = User.objects.filter(username__iexact=username, is_active=True).first()
    if member is None:
        raise NotFound("There is no member by that name.")
    return member


@dataclass(frozen=True)
class Page:
    """One page of a profile's list, and where it stands among the pages."""

    items: list
    number: int
    last: int


def list_member_topics(member: User, page: int, viewer) -> Page:
    """The member's topics that the viewer may see (not hidden, not in a category private to
    them), newest first."""
    rows = Topic.objects.filter(visible_filter(viewer, Topic), author=member, hidden=False)
    return _page(rows, page, lambda rows: rows.select_related("category").only(
        "slug", "title", "created", "category__title").order_by("-created", "-pk"))


def list_member_posts(member: User, page: int, viewer) -> Page:
    """The member's posts that the viewer may see (not hidden, not deleted, not in a hidden
    topic or a category private to them), newest first."""
    rows = Post.objects.filter(visible_filter(viewer, Post), author=member, hidden=False,
                               deleted__isnull=True, topic__hidden=False)
    return _page(rows, page, lambda rows: rows.select_related("topic").only(
        "created", "position", "topic__title").order_by("-created", "-pk"))


def _page(rows: QuerySet, page: int, shown) -> Page:
    """Page `page` of `rows` (counted as they are, read as `shown(rows)` makes them); a page
    past the end is a 404, like the forum's pages."""
    last = page_count(rows.count(), PROFILE_PER_PAGE)
    if not 1 <= page <= last:
        raise NotFound(f"That page does not exist: there are {last} pages.")
    start = (page - 1) * PROFILE_PER_PAGE
    return Page(items=list(shown(rows)[start:start + PROFILE_PER_PAGE]), number=page,
                last=last)


def avatar_url(member: User, size: int) -> str:
    """Where the member's avatar is, at least `size` pixels wide where there is such a file
    (the largest otherwise); the generated one when they uploaded none."""
    files = member.avatar
    if not files:
        return url_for("member_avatar", member.username)
    sizes = sorted(int(s) for s in files)
    chosen = next((s for s in sizes if s >= size), sizes[-1])
    return f"{settings.MEDIA_URL}{files[str(chosen)]}"


def is_following(member: User, other: User) -> bool:
    """Whether `member` follows `other` (for the profile's follow button)."""
    return MemberFollow.objects.filter(member=member, followed=other).exists()
