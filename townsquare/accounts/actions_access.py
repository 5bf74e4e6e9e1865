"""Writes that change what a member may read: their role, and whether their account is
active. Pages read the member's row on every request; open event streams are told after the
commit (`live.py`) and end at once where the member may no longer read."""

from django.db import transaction

from townsquare.core.errors import Forbidden, Invalid

from . import live
from .models import Role, User


def set_member_role(*, by: User, member: User, role: str) -> User:
    _check_admin(by)
    if role not in Role.values:
        raise Invalid(f"“{role[:40]}” is not a role.", field="role")
    return _change(member, role=role)


def set_member_active(*, by: User, member: User, active: bool) -> User:
    """Deactivate a member (they are signed out everywhere and can't sign in) or let them
    back."""
    _check_admin(by)
    return _change(member, is_active=active)


def _check_admin(by: User) -> None:
    if not (by.is_authenticated and by.is_active and by.has_role(Role.ADMIN)):
        raise Forbidden("Only administrators change a member's role or account.")


def _change(member: User, **values) -> User:
    with transaction.atomic():
        current = User.objects.select_for_update().get(pk=member.pk)
        if any(getattr(current, field) != value for field, value in values.items()):
            User.objects.filter(pk=member.pk).update(**values)
            for field, value in values.items():
                setattr(current, field, value)
            live.publish_member_access(current)
    for field, value in values.items():
        setattr(member, field, value)
    return member
