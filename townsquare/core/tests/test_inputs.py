"""Numbers from requests, bounded forms and member text (core/inputs.py)."""

import importlib
import pkgutil

import pytest
from django import forms
from django.http import QueryDict
from django.urls import NoReverseMatch, reverse

import townsquare
from townsquare.core.errors import Invalid
from townsquare.core.inputs import (
    FIELD_MAX_CHARS,
    BoundedForm,
    IdConverter,
    id_param,
    member_text,
    whole_number,
)


@pytest.mark.parametrize(("raw", "number"), [
    ("0", 0), ("7", 7), ("007", 7), ("9" * 18, int("9" * 18)),
])
def test_plain_ascii_digits_are_a_number(raw, number):
    assert whole_number(raw) == number


@pytest.mark.parametrize("raw", ["", " 7", "7 ", "-1", "+1", "1.5", "1e3", "²", "٣", "１２",
                                 "9" * 19, "9" * 5000, None, ["1"]])
def test_anything_else_is_no_number(raw):
    assert whole_number(raw) is None


def test_a_number_may_be_held_to_fewer_digits():
    assert whole_number("1234", digits=3) is None
    assert whole_number("123", digits=3) == 123


def test_an_id_parameter_is_read_or_refused_with_the_sentence_given():
    assert id_param(QueryDict("post=12"), "post", broken="Broken.") == 12
    for query in ("post=²", "post=-1", "", f"post={2**63}", "post=" + "9" * 5000):
        with pytest.raises(Invalid, match="Broken."):
            id_param(QueryDict(query), "post", broken="Broken.")


def test_the_id_converter_takes_at_most_eighteen_ascii_digits():
    import re

    pattern = re.compile(f"^{IdConverter.regex}$")
    assert pattern.match("9" * 18) and not pattern.match("9" * 19)
    assert not pattern.match("²") and not pattern.match("٣")
    assert reverse("post", args=[12]) == "/p/12/"
    with pytest.raises(NoReverseMatch):
        reverse("post", args=[10**18])


def test_member_text_drops_the_shells_marker_characters_and_nul():
    assert member_text("a\ue000csrf\ue001 b\x00c") == "acsrf bc"
    assert member_text(None) == ""
    assert member_text("🎉 ünï \ue002") == "🎉 ünï \ue002"


class Sample(BoundedForm):
    title = forms.CharField(max_length=10)
    number = forms.IntegerField()


def test_a_bounded_form_refuses_an_over_long_value_before_reading_it():
    form = Sample({"title": "ok", "number": "9" * (FIELD_MAX_CHARS + 1)})
    assert not form.is_valid()
    assert form.errors["number"] == ["That value is too long."]


def test_a_bounded_form_cleans_member_text():
    form = Sample({"title": "a\ue000b\ue001", "number": "3"})
    assert form.is_valid() and form.cleaned_data == {"title": "ab", "number": 3}


def _site_forms() -> list[type[forms.Form]]:
    for module in pkgutil.walk_packages(townsquare.__path__, "townsquare."):
        if module.name.endswith(".forms"):
            importlib.import_module(module.name)
    found, todo = [], [forms.Form]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.startswith("townsquare."):
            found.append(cls)
    return sorted(found, key=lambda c: c.__qualname__)


# Their password and bio fields have no length limit yet.
@pytest.mark.parametrize("form_class", _site_forms(), ids=lambda c: c.__name__)
def test_every_field_of_every_form_has_a_maximum_length(form_class):
    for name, field in form_class.base_fields.items():
        if isinstance(field, forms.CharField):
            assert field.max_length is not None, name
        else:
            assert issubclass(form_class, BoundedForm), name
