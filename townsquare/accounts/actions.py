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
from django.utils import timezone

from townsquare.core import images
from townsquare.core.errors import Conflict, Forbidden, Invalid
from townsquare.core.inputs import member_text
from townsquare.core.ratelimit import check_rate, count_failures, forget, refuse_while_limited

from . import avatars, queries
from .models import Registration, Role, User
from .permissions import can_edit_profile
from .tokens import REGISTRATION_USED, REGISTRATION_VALID

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
    # No @: a sign-in with one is an email address, and a name must never pass for one.
    try:
        UnicodeUsernameValidator()(username)
        if "@" in username:
            raise ValidationError("@")
    except ValidationError:
        raise Invalid(USERNAME_CHARACTERS, field="username") from None
    return username


USERNAME_CHARACTERS = "Use only letters, digits and the characters . _ - + in a username."


def register_member(*, username: str, email: str, password: str, next: str = "") -> None:
    """Take a registration and have the worker email the address: a link that creates the
    account, or (when the address already has one) a note to its owner. Nothing here
    depends on whether the address is taken, so the answer gives nothing away; a taken
    username is refused (usernames are public)."""
    username = clean_username(username)
    email = clean_email(email)
    # Besides the view's limit per client: one inbox gets only so many of these emails.
    check_rate("register", f"email:{email.lower()}"[:300])
    if User.objects.filter(username__iexact=username).exists():
        raise Conflict(USERNAME_TAKEN, field="username")
    candidate = User(username=username, email=email)
    try:
        validate_password(password, candidate)
    except ValidationError as error:
        raise Invalid(" ".join(error.messages), field="password") from None
    candidate.set_password(password)
    now = timezone.now()
    with transaction.atomic():
        Registration.objects.filter(created__lt=now - REGISTRATION_VALID).delete()
        registration = Registration.objects.create(
            username=username, email=email, password=candidate.password, next=next[:2000],
            created=now)
        transaction.on_commit(lambda: _queue_registration_email(registration.pk))


USERNAME_TAKEN = "That username is already taken."


def clean_email(email: str) -> str:
    email = (email or "").strip()
    if len(email) > EMAIL_MAX:
        raise Invalid(f"Email addresses are at most {EMAIL_MAX} characters long.", field="email")
    try:
        validate_email(email)
    except ValidationError:
        raise Invalid("Enter a valid email address.", field="email") from None
    return email


def _queue_registration_email(registration_id: int) -> None:
    from .tasks import send_registration_email

    send_registration_email.enqueue(registration_id)


def create_member(*, registration: Registration) -> User:
    """The account a confirmed registration asked for (its link was checked by
    tokens.read_registration_token); every registration for the address ends with it."""
    if not Registration.objects.filter(pk=registration.pk).exists():
        raise Invalid(REGISTRATION_USED)
    _refuse_taken(registration.username, registration.email)
    try:
        with transaction.atomic():
            # Under the row's lock: two presses of the button make one account.
            if not Registration.objects.select_for_update().filter(
                    pk=registration.pk).exists():
                raise Invalid(REGISTRATION_USED)
            member = User.objects.create(
                username=registration.username, email=registration.email,
                password=registration.password, role=Role.MEMBER)
            Registration.objects.filter(email__iexact=registration.email).delete()
    except IntegrityError:
        # Someone took the name or the address between the check and the insert.
        _refuse_taken(registration.username, registration.email)
        raise
    return member


def _refuse_taken(username: str, email: str) -> None:
    if User.objects.filter(username__iexact=username).exists():
        raise Conflict(f"Someone took the username {username} while you were away. Register "
                       "again with another name.", field="username")
    # Only the address's owner can open the link that gets here: this tells nobody else.
    if User.objects.filter(email__iexact=email).exists():
        raise Conflict("This address already has an account: sign in, or reset its password "
                       "if you have forgotten it.", field="email")


# Signing in.


def authenticate_member(*, login: str, password: str, address: str) -> User:
    """The member a sign-in names (see queries.get_member_for_login), when the password is
    theirs. Wrong passwords count against the account (a success clears its count) and,
    much more loosely, against the address; either one's limit refuses every attempt until
    its window ends, before any password is checked."""
    member = queries.get_member_for_login(login)
    account = f"member:{member.pk}" if member else f"login:{login.casefold()}"
    limits = (("signin_account", account), ("signin_address", address))
    refuse_while_limited(*limits)
    if member is None:
        User().set_password(password)  # as long as checking a real one takes
    elif member.check_password(password) and member.is_active:
        forget("signin_account", account)
        return member
    count_failures(*limits)
    raise Invalid(SIGNIN_REFUSED)


SIGNIN_REFUSED = "That username or email and password don't match an account."


def ask_password_reset(*, email: str) -> None:
    """Have the worker email a reset link to the accounts using `email`, if any: the request
    does the same work either way, so neither its answer nor its time tells."""
    check_rate("password_reset", f"email:{email.strip().lower()}"[:300])
    transaction.on_commit(lambda: _queue_password_reset(email))


def _queue_password_reset(email: str) -> None:
    from .tasks import send_password_reset

    send_password_reset.enqueue(email)


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
    data = images.read_limited(file)
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
