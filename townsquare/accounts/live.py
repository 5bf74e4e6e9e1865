"""What the event streams are told when a member's access changes (see townsquare/live)."""

from townsquare.live.events import ACCESS, publish

PERSONAL = 0


def publish_member_access(member) -> None:
    """A member's role or active state changed: each of their open streams is checked again
    at once (ended with `refresh` where they may no longer read), their moderator flag too."""
    publish(PERSONAL, ACCESS, {"member": member.pk, "role": member.role,
                               "is_active": member.is_active,
                               "is_superuser": member.is_superuser},
            audience=f"member:{member.pk}")
