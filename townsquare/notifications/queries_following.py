"""Reads of whom a member follows, for the profile page's follow button."""

from .models import MemberFollow


def is_following(member, other) -> bool:
    """Whether `member` follows `other`."""
    return MemberFollow.objects.filter(member=member, followed=other).exists()
