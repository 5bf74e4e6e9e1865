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
    bio = models.TextField(blank=True, max_length=2000)
    post_count = models.PositiveIntegerField(default=0)
    # Left out of "Recently Browsing" lists when set.
    browse_invisibly = models.BooleanField(default=False)

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
