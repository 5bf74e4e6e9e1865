from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from townsquare.core.errors import Conflict, Invalid

from .models import Role, User

USERNAME_MIN, USERNAME_MAX = 3, 30
EMAIL_MAX = User._meta.get_field("email").max_length


def clean_username(username: str) -> str:
    # The same NFKC form sign-in compares, so "ｍａｒａ" is the name "mara".
    username = User.normalize_username((username or "").strip())
    if not USERNAME_MIN <= len(username) <= USERNAME_MAX:
        raise Invalid(
            f"Usernames are {USERNAME_MIN} to {USERNAME_MAX} characters long.", field="username"
        )
    try:
        UnicodeUsernameValidator()(username)
    except ValidationError:
        raise Invalid(
            "Use only letters, digits and the characters . _ - + @ in a username.",
            field="username",
        ) from None
    return username


def register_member(*, username: str, email: str, password: str,
                    role: str = Role.MEMBER) -> User:
    username = clean_username(username)
    email = (email or "").strip()
    try:
        validate_email(email)
    except ValidationError:
        raise Invalid("Enter a valid email address.", field="email") from None
    if len(email) > EMAIL_MAX:
        raise Invalid(f"Email addresses are at most {EMAIL_MAX} characters long.", field="email")
    _refuse_taken(username, email)
    candidate = User(username=username, email=email, role=role)
    try:
        validate_password(password, candidate)
    except ValidationError as error:
        raise Invalid(" ".join(error.messages), field="password") from None
    candidate.set_password(password)
    try:
        with transaction.atomic():
            candidate.save()
    except IntegrityError:
        # Someone registered the same name or address between the check and the insert.
        _refuse_taken(username, email)
        raise
    return candidate


def _refuse_taken(username: str, email: str) -> None:
    if User.objects.filter(username__iexact=username).exists():
        raise Conflict("That username is already taken.", field="username")
    if User.objects.filter(email__iexact=email).exists():
        raise Conflict(
            "An account with that email address already exists. Sign in, or reset the "
            "password if you have forgotten it.",
            field="email",
        )
