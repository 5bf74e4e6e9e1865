import hashlib
import logging
import unicodedata

from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from townsquare.core.errors import Conflict, Forbidden, Invalid
from townsquare.core.inputs import member_text
from townsquare.core.ratelimit import check_rate
from townsquare.uploads import actions as uploads
from townsquare.uploads import images

from . import avatars
from .models import Role, User
from .permissions import can_edit_profile

logger = logging.getLogger(__name__)

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


# Profiles.

DISPLAY_NAME_MAX = User._meta.get_field("display_name").max_length
LOCATION_MAX = User._meta.get_field("location").max_length
BIO_MAX = User._meta.get_field("bio").max_length


def update_profile(*, member: User, display_name: str, bio: str, location: str) -> User:
    """Change the member's own display name, bio and location; refuse with the reason."""
    _check_can_edit(member)
    display_name = _one_line(display_name, "display name", DISPLAY_NAME_MAX, "display_name")
    location = _one_line(location, "location", LOCATION_MAX, "location")
    bio = member_text(bio).replace("\r\n", "\n").strip()
    if len(bio) > BIO_MAX:
        raise Invalid(f"A bio can be at most {BIO_MAX:,} characters long "
                      f"(this one has {len(bio):,}).", field="bio")
    if _has_hidden_characters(bio.replace("\n", "").replace("\t", "")):
        raise Invalid("The bio contains invisible control characters.", field="bio")
    with transaction.atomic():
        User.objects.filter(pk=member.pk).update(display_name=display_name, bio=bio,
                                                 location=location)
    member.display_name, member.bio, member.location = display_name, bio, location
    return member


def _one_line(value: str, what: str, limit: int, field: str) -> str:
    value = " ".join(member_text(value).split())  # no line breaks, no runs of spaces
    if len(value) > limit:
        raise Invalid(f"A {what} can be at most {limit} characters long "
                      f"(this one has {len(value)}).", field=field)
    if _has_hidden_characters(value):
        raise Invalid(f"The {what} contains invisible control characters.", field=field)
    return value


def _has_hidden_characters(text: str) -> bool:
    # Control and format characters (a right-to-left override among them) would let a
    # name show as something other than what it is. Zero-width joiners stay: emoji
    # sequences and some scripts need them.
    return any(unicodedata.category(c) in ("Cc", "Cf", "Co", "Cs") and c not in JOINERS
               for c in text)


JOINERS = {"\u200c", "\u200d"}


def _check_can_edit(member: User) -> None:
    if not can_edit_profile(member):
        raise Forbidden("Sign in to change your profile.")


# Avatars.


def set_avatar(*, member: User, file) -> User:
    """Make an uploaded image the member's avatar, verified and re-encoded like a post's
    image; the previous avatar's files are deleted once the change is committed."""
    _check_can_edit(member)
    check_rate("upload", f"user:{member.pk}")
    data = uploads._read_limited(file)
    squares = avatars.square_webps(images.decode(data))
    wanted = {str(size): f"avatars/{member.pk}/{hashlib.sha256(webp).hexdigest()[:32]}"
                         f"-{size}.webp" for size, webp in squares.items()}
    if wanted == member.avatar:
        return member  # the same picture again
    saved = {}
    try:
        for size, webp in squares.items():
            saved[str(size)] = default_storage.save(wanted[str(size)], ContentFile(webp))
        _replace_avatar(member, saved)
    except BaseException:
        _delete_files(saved.values())  # nothing stored outlives a refused or failed change
        raise
    return member


def remove_avatar(*, member: User) -> User:
    """Go back to the generated avatar; the uploaded files are deleted after the commit."""
    _check_can_edit(member)
    _replace_avatar(member, {})
    return member


def _replace_avatar(member: User, files: dict[str, str]) -> None:
    with transaction.atomic():
        # Under the row's lock, so two uploads at once each delete what the other replaced.
        old = User.objects.select_for_update().values_list("avatar", flat=True).get(
            pk=member.pk)
        User.objects.filter(pk=member.pk).update(avatar=files)
        gone = set(old.values()) - set(files.values())
        transaction.on_commit(lambda: _delete_files(gone))
    member.avatar = files


def _delete_files(names) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except Exception:
            logger.exception("Could not delete the avatar file %s", name)
