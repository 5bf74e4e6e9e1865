from django import forms

from townsquare.core.inputs import BoundedForm

from .models import Preferences


class PreferencesForm(BoundedForm):
    email = forms.ChoiceField(
        label="Email me about notifications", choices=Preferences.Email.choices,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "Choose how often to get emails: as they happen, "
                                          "daily, or never."})
    follow_on_reply = forms.BooleanField(
        label="Follow topics I start or reply to", required=False)
    notify_reactions = forms.BooleanField(
        label="Tell me when my posts get reactions", required=False)
