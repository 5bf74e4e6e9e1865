import copy
import unicodedata

from django import forms
from django.contrib.auth.forms import SetPasswordForm
from django.core.validators import MaxLengthValidator

# Every sign-in, registration and reset field has a maximum length, checked before any
# query: a login is a username or an email address (at most 254 characters), and a password
# is capped well above any real one, so that Argon2 is never fed megabytes.
LOGIN_MAX = 254
PASSWORD_MAX = 4096


def _password_field(**kwargs) -> forms.CharField:
    return forms.CharField(strip=False, max_length=PASSWORD_MAX, **kwargs)


class RegisterForm(forms.Form):
    username = forms.CharField(
        max_length=30,
        help_text="3 to 30 characters: letters, digits and . _ - +",
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
    )
    email = forms.EmailField(max_length=LOGIN_MAX,
                             widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    password = _password_field(
        help_text="At least 8 characters, not a common password and not all digits.",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


class SigninForm(forms.Form):
    """A username or an email address (the action tells them apart by the @), and a
    password: only their presence and length are checked here."""

    username = forms.CharField(
        label="Username or email", max_length=LOGIN_MAX,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = _password_field(widget=forms.PasswordInput(
        attrs={"autocomplete": "current-password"}))

    def __init__(self, request=None, *args, **kwargs):
        # Django's LoginView hands its forms the request; this one has no use for it.
        super().__init__(*args, **kwargs)

    def clean_username(self) -> str:
        # The NFKC form usernames are stored in, so "ｍａｒａ" signs in as "mara".
        return unicodedata.normalize("NFKC", self.cleaned_data["username"])


class NewPasswordForm(SetPasswordForm):
    """The reset link's form for a new password, each field capped like registration's."""


# Django's fields, capped: set on the class's own copies, which every form made from it copies.
for _name in ("new_password1", "new_password2"):
    _field = NewPasswordForm.base_fields[_name] = copy.deepcopy(
        SetPasswordForm.base_fields[_name])
    _field.max_length = PASSWORD_MAX
    _field.validators.append(MaxLengthValidator(PASSWORD_MAX))
    _field.widget.attrs["maxlength"] = PASSWORD_MAX


class ProfileEditForm(forms.Form):
    """The member's own display name, bio and location (the action checks them again)."""

    display_name = forms.CharField(
        max_length=50, required=False, label="Display name",
        help_text="Shown as the heading of your profile, beside your @username.",
        widget=forms.TextInput(attrs={"autocomplete": "nickname"}),
    )
    location = forms.CharField(
        max_length=100, required=False,
        help_text="Optional: a town, a region, a country.",
    )
    # The exact length is checked by the action, once line breaks are one character each;
    # the form only refuses what could never pass (every line break sent as two).
    bio = forms.CharField(
        required=False, strip=False, max_length=4000,
        help_text="Up to 2,000 characters, shown as written.",
        widget=forms.Textarea(attrs={"rows": 6}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["bio"].widget.attrs["maxlength"] = 2000
