from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models.functions import Lower


class Role(models.TextChoices):
    MEMBER = "member", "Member"
    EDITOR = "editor", "Editor"
    MODERATOR = "moderator", "Moderator"
    ADMIN = "admin", "Administrator"


ROLE_RANK = {Role.MEMBER: 0, Role.EDITOR: 1, Role.MODERATOR: 2, Role.ADMIN: 3}


class MemberManager(UserManager):
    def get_by_natural_key(self, username):
        return self.get(username__iexact=username)


class User(AbstractUser):
    """A member. Usernames and emails are unique whatever their letter case."""

    email = models.EmailField("email address")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    # Shown as the profile's heading, with "@username" beside it; the username stays the
    # member's name everywhere else (mentions, addresses, sign-in).
    display_name = models.CharField(max_length=50, blank=True)
    bio = models.TextField(blank=True, max_length=2000)
    location = models.CharField(max_length=100, blank=True)
    post_count = models.PositiveIntegerField(default=0)
    # The weighted sum of reactions the member's posts received, kept by the reactions'
    # actions (see reactions/actions.py) and recomputed by `townsquare recount_reputation`.
    reputation = models.IntegerField(default=0)
    # The uploaded avatar's storage names by pixel size ({"256": "avatars/...", "64": ...});
    # empty when the member has none and gets a generated one (see avatars.py).
    avatar = models.JSONField(default=dict, blank=True)
    # Left out of "Recently Browsing" lists when set.
    browse_invisibly = models.BooleanField(default=False)
    # Name the current version of the member's own cached state: their bell's unread
    # notifications, and the rest (what they follow and ignore, where they have drafts and
    # reactions). Every change sets a new value; every process reads the row on each
    # request (see state.py). The bell changes most, so it has a version of its own.
    bell_version = models.BigIntegerField(default=0, editable=False)
    state_version = models.BigIntegerField(default=0, editable=False)

    objects = MemberManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("username"), name="user_username_ci_unique"),
            models.UniqueConstraint(
                Lower("email"), name="user_email_ci_unique", condition=~models.Q(email="")
            ),
        ]

    def __str__(self):
        return self.username

    def has_role(self, role: str) -> bool:
        """True when the member's role is `role` or above it (admin > moderator > editor)."""
        if self.is_superuser:
            return True
        return ROLE_RANK[Role(self.role)] >= ROLE_RANK[Role(role)]

    def get_absolute_url(self):
        from townsquare.core.links import url_for

        return url_for("member", self.username)


class Registration(models.Model):
    """A registration waiting for its email address to be confirmed.

    No account exists until the link emailed to the address is followed, so registering
    says the same whether the address already has an account or not: the worker, not the
    request, finds out which, and emails either the link or a note to the account's owner.
    """

    username = models.CharField(max_length=150)
    email = models.EmailField()
    password = models.CharField(max_length=128)  # the hash, as User.password
    # Where the new member goes once signed in (checked to be on this site).
    next = models.CharField(max_length=2000, blank=True)
    created = models.DateTimeField(db_index=True)
    emailed = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.username} <{self.email}>"
