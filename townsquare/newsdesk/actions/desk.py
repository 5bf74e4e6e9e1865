"""The desk itself: who may work on it, and the account news topics are posted by."""

from django.conf import settings
from django.db import IntegrityError, transaction

from townsquare.accounts.models import Role, User
from townsquare.core.errors import Forbidden

NOTE_CHARS = 2000


def require_editor(user) -> None:
    if not (user and user.is_authenticated and user.has_role(Role.EDITOR)):
        raise Forbidden("Only editors can work on the news desk.")


def desk_account() -> User:
    """The account news topics are posted by (created on first use)."""
    user = User.objects.filter(username__iexact=settings.NEWS_DESK_USERNAME).first()
    if user is None:
        try:
            with transaction.atomic():
                user = User(username=settings.NEWS_DESK_USERNAME, role=Role.EDITOR,
                            bio="Stories adapted by the site's editors.")
                user.set_unusable_password()
                user.save()
        except IntegrityError:
            user = User.objects.get(username__iexact=settings.NEWS_DESK_USERNAME)
    return user
