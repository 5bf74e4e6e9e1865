from django.conf import settings
from django.db.models import Q, QuerySet
from django.db.models.functions import Lower

from townsquare.core.errors import NotFound
from townsquare.core.links import url_for

from .models import User

SUGGEST_LIMIT = 8


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


def avatar_url(member: User, size: int) -> str:
    """Where the member's avatar is, at least `size` pixels wide where there is such a file
    (the largest otherwise); the generated one when they uploaded none."""
    files = member.avatar
    if not files:
        return url_for("member_avatar", member.username)
    sizes = sorted(int(s) for s in files)
    chosen = next((s for s in sizes if s >= size), sizes[-1])
    return f"{settings.MEDIA_URL}{files[str(chosen)]}"
