from django import forms
from django.conf import settings
from django.core.validators import MinValueValidator

from townsquare.core.inputs import BoundedForm, SettingLengthField
from townsquare.forum.models import Category

from .models import Source


def editor_categories():
    """Categories an editor (and so the desk account) may start topics in."""
    return Category.objects.filter(start_role__in=["member", "editor"]).order_by("position", "id")


class SourceForm(BoundedForm):
    name = forms.CharField(max_length=120, error_messages={"required": "Give the source a name."})
    feed_url = forms.CharField(
        label="Feed address (RSS, Atom or JSON Feed)", max_length=1000,
        widget=forms.URLInput(attrs={"placeholder": "https://example.com/feed.xml"}),
        error_messages={"required": "Give the feed's address."})
    category = forms.ModelChoiceField(
        label="Default category", queryset=None, empty_label=None,
        error_messages={"invalid_choice": "Choose one of the listed categories."})
    interval_minutes = forms.IntegerField(label="Poll every (minutes)", max_value=7 * 24 * 60,
                                          initial=30)
    active = forms.BooleanField(label="Poll this source", required=False, initial=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = editor_categories()
        # The shortest interval is read now, not at import (save_source checks it again).
        interval = self.fields["interval_minutes"]
        interval.min_value = settings.NEWS_MIN_POLL_MINUTES
        interval.validators.append(MinValueValidator(interval.min_value))
        interval.widget.attrs["min"] = interval.min_value

    @classmethod
    def of(cls, source: Source):
        return cls(initial={"name": source.name, "feed_url": source.feed_url,
                            "category": source.category_id,
                            "interval_minutes": source.interval_minutes,
                            "active": source.active})


class StoryForm(BoundedForm):
    title = SettingLengthField(label="Headline", length_setting="TITLE_MAX_CHARS",
                               error_messages={"required": "Give the story a headline."})
    body = SettingLengthField(label="Story", widget=forms.Textarea, strip=False,
                              length_setting="POST_MAX_CHARS",
                              error_messages={"required": "Write the story before publishing."})
    category = forms.ModelChoiceField(
        queryset=None, required=False, empty_label="Choose a category",
        error_messages={"invalid_choice": "Choose one of the listed categories."})
    publish_at = forms.DateTimeField(
        label="Publish at (optional, your local time on this site: UTC)", required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        error_messages={"invalid": "Give the time as a date and time, e.g. 2026-07-03 09:30."})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = editor_categories()


class CorrectionForm(BoundedForm):
    note = forms.CharField(label="Correction readers will see", widget=forms.Textarea(
        attrs={"rows": 3}), max_length=2000,
        error_messages={"required": "Write the correction readers will see."})
