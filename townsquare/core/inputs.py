"""What comes in from outside: numbers in a request, form values, and the text members type.

Every number a request carries goes through `whole_number`: plain ASCII digits only (`²` and
`٣` pass `str.isdigit()` and then fail `int()`), a handful of them (a 5,000-digit number hits
Python's limit on converting long numbers, and one past 2**63 overflows the database's integer
columns). Ids in paths use the `id` converter, which matches the same digits. A page that is
no page of the list is a 404 (core/pagination.py); a malformed id in a form or query string a
400 (`id_param`); an id that is well formed but names nothing is the lookup's own 404.

Member text is saved through `member_text`, which drops the characters the site keeps for
itself (see core/shell.py), so nothing a member types can ever form a page's hole.
"""

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator

from .errors import Invalid

ID_DIGITS = 18  # every such number fits a signed 64-bit column (2**63 has 19 digits)
PAGE_DIGITS = 9
# A form value that is no free text (a number, a choice, a date, a flag) is never longer.
FIELD_MAX_CHARS = 100

# The page shell's marker characters (core/shell.py), and NUL, which PostgreSQL can't store.
RESERVED_CHARS = dict.fromkeys(map(ord, "\ue000\ue001\x00"))


def whole_number(raw, *, digits: int = ID_DIGITS) -> int | None:
    """`raw` as an int when it is 1 to `digits` ASCII digits, else None."""
    if not isinstance(raw, str) or not 0 < len(raw) <= digits:
        return None
    return int(raw) if raw.isascii() and raw.isdigit() else None


def id_param(params, name: str, *, broken: str) -> int:
    """The id under `name` in `params`; when it is missing or no plain number, Invalid with
    the sentence `broken` ("That quote link is broken.")."""
    found = whole_number(params.get(name, "").strip())
    if found is None:
        raise Invalid(broken)
    return found


class IdConverter:
    """`<id:topic_id>` in a URL pattern: an id of at most ID_DIGITS digits (a longer one is
    no address, so a 404 before any view runs)."""

    regex = f"[0-9]{{1,{ID_DIGITS}}}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value) -> str:
        return str(value)



def member_text(value) -> str:
    """`value` without the characters the site keeps for itself: a member never types them on
    purpose, and removed at save they can never reach a page."""
    return (value or "").translate(RESERVED_CHARS)


class BoundedForm(forms.Form):
    """A form whose every value is bounded before any field reads it.

    Text fields carry their own `max_length` (a site test checks that each one does); every
    other field (numbers, choices, dates, flags) takes at most FIELD_MAX_CHARS characters,
    checked on the raw value, since reading one may be a query (a choice of a row) or a
    conversion that grows with the length. A form with an over-long value cleans nothing
    else: no person sends one. Cleaned text is member text (`member_text`).
    """

    def _clean_fields(self):
        over = [bf for bf in self if not _within_limit(bf)]
        for bf in over:
            self.add_error(bf.name, ValidationError("That value is too long.", code="max_length"))
        if over:
            return
        super()._clean_fields()
        for name, value in self.cleaned_data.items():
            if isinstance(value, str) and isinstance(self.fields[name], forms.CharField):
                self.cleaned_data[name] = member_text(value)


class SettingLengthField(forms.CharField):
    """A text field as long as the setting `length_setting` allows, read each time a value
    is checked or the field is shown, never once at import: a changed setting (a test's
    override included) applies to the next form."""

    def __init__(self, *, length_setting: str, **kwargs):
        self.length_setting = length_setting
        super().__init__(**kwargs)
        self.validators.append(MaxLengthValidator(lambda: self.max_length))

    @property
    def max_length(self) -> int:
        return getattr(settings, self.length_setting)

    @max_length.setter
    def max_length(self, value) -> None:
        pass  # CharField.__init__ sets None: the setting is the length

    def widget_attrs(self, widget):
        # Field.__init__ asks at import; the maxlength goes on in get_bound_field.
        return forms.Field.widget_attrs(self, widget)

    def get_bound_field(self, form, field_name):
        if not self.widget.is_hidden:  # the form's own copy of the field and its widget
            self.widget.attrs["maxlength"] = str(self.max_length)
        return super().get_bound_field(form, field_name)


def _within_limit(bf) -> bool:
    if getattr(bf.field, "max_length", None) is not None:
        return True
    values = bf.data if isinstance(bf.data, list | tuple) else [bf.data]
    return all(not isinstance(v, str) or len(v) <= FIELD_MAX_CHARS for v in values)
