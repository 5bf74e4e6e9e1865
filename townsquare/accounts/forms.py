from django import forms
from django.contrib.auth.forms import AuthenticationForm


class RegisterForm(forms.Form):
    username = forms.CharField(
        max_length=30,
        help_text="3 to 30 characters: letters, digits and . _ - + @",
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
    )
    email = forms.EmailField(widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    password = forms.CharField(
        strip=False,
        help_text="At least 8 characters, not a common password and not all digits.",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


class SigninForm(AuthenticationForm):
    """Sign in by username or email address, whatever the letter case."""

    error_messages = {
        "invalid_login": "That username or email and password don't match an account.",
        "inactive": "This account is inactive.",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "Username or email"

    def clean(self):
        from .models import User

        login = self.cleaned_data.get("username", "")
        if "@" in login:
            match = User.objects.filter(email__iexact=login).only("username").first()
            if match:
                self.cleaned_data["username"] = match.username
        return super().clean()


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
    # The length is checked by the action, once line breaks are one character each.
    bio = forms.CharField(
        required=False, strip=False,
        help_text="Up to 2,000 characters, shown as written.",
        widget=forms.Textarea(attrs={"rows": 6, "maxlength": 2000}),
    )
