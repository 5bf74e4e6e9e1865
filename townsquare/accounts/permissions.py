"""Who may change a member's profile: pure predicates, used by views and re-checked by actions."""


def can_edit_profile(user) -> bool:
    """A signed-in, active member changes their own profile (and nobody else's: the pages and
    actions only ever take the signed-in member)."""
    return bool(user and user.is_authenticated and user.is_active)
