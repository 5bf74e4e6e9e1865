from django import forms

from townsquare.core.inputs import PAGE_DIGITS, BoundedForm, SettingLengthField


class ReplyForm(BoundedForm):
    body = SettingLengthField(
        label="Your reply",
        widget=forms.Textarea(attrs={"rows": 6}),
        length_setting="POST_MAX_CHARS",
        strip=False,
        error_messages={
            "required": "Write something before posting.",
            "max_length": "Posts are limited to %(limit_value)s characters (this one has "
            "%(show_value)s).",
        },
    )
    submit_token = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)
    on_page = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1,
                                 max_value=10**PAGE_DIGITS - 1)


class PostEditForm(BoundedForm):
    body = SettingLengthField(
        label="Post",
        widget=forms.Textarea(attrs={"rows": 12}),
        length_setting="POST_MAX_CHARS",
        strip=False,
        error_messages={
            "required": "Write something before saving.",
            "max_length": "Posts are limited to %(limit_value)s characters (this one has "
            "%(show_value)s).",
        },
    )
    reason = forms.CharField(label="Reason for the edit (optional)", max_length=200,
                             required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0, max_value=2**31 - 1)


class TopicForm(BoundedForm):
    category = forms.ModelChoiceField(queryset=None, empty_label=None)
    title = SettingLengthField(
        length_setting="TITLE_MAX_CHARS",
        error_messages={"required": "Give the topic a title."},
    )
    body = SettingLengthField(
        label="Post",
        widget=forms.Textarea(attrs={"rows": 10}),
        length_setting="POST_MAX_CHARS",
        strip=False,
        error_messages={"required": "Write something before posting."},
    )
    source_name = forms.CharField(label="Source name", required=False, max_length=200)
    source_url = forms.URLField(
        label="Source URL", required=False, max_length=500, assume_scheme="https"
    )
    source_date = forms.DateField(
        label="Source date", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    submit_token = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def __init__(self, *args, categories, show_source: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = categories
        if not show_source:
            for name in ("source_name", "source_url", "source_date"):
                del self.fields[name]
