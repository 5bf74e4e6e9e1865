"""Who may do what with the newsletter: pure predicates, used by views and re-checked by
actions. Subscribing, confirming and unsubscribing need no account: the signed links in the
emails are the authority."""

from townsquare.accounts.models import Role


def can_run_newsletter(user) -> bool:
    """Editors (and the roles above them) see the newsletter desk and send digests by hand."""
    return bool(user and user.is_authenticated and user.is_active and user.has_role(Role.EDITOR))
