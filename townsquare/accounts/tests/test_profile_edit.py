"""A member edits their own display name, bio and location at /me/profile/."""

from html import unescape

import pytest

from townsquare.accounts.actions import update_profile
from townsquare.accounts.models import User
from townsquare.core.errors import Forbidden, Invalid

pytestmark = pytest.mark.django_db

URL = "/me/profile/"


@pytest.fixture
def mara(client, make_member):
    member = make_member("mara", bio="Old bio")
    client.force_login(member)
    return member


def saved(member) -> tuple[str, str, str]:
    member.refresh_from_db()
    return member.display_name, member.location, member.bio


def test_the_edit_page_shows_the_members_current_values_in_labelled_fields(client, mara):
    User.objects.filter(pk=mara.pk).update(display_name="Mara L.", location="Gdańsk")
    response = client.get(URL)
    assert response.status_code == 200
    text = unescape(response.content.decode())
    assert '<label for="id_display_name">Display name</label>' in text
    assert '<label for="id_location">Location</label>' in text
    assert '<label for="id_bio">Bio</label>' in text
    assert 'value="Mara L."' in text and 'value="Gdańsk"' in text and "Old bio</textarea>" in text
    assert '<label for="id_avatar">' in text and 'enctype="multipart/form-data"' in text


def test_saving_the_profile_redirects_to_it_with_the_new_values(client, mara):
    response = client.post(URL, {"display_name": "  Mara   Lindqvist ", "location": "Gdańsk",
                                 "bio": "Reads the harbour news.\r\nWrites back."})
    assert response.status_code == 303 and response["Location"] == "/u/mara/"
    assert saved(mara) == ("Mara Lindqvist", "Gdańsk", "Reads the harbour news.\nWrites back.")
    page = unescape(client.get("/u/mara/").content.decode())
    assert "Your profile is saved." in page
    assert '<h1>Mara Lindqvist <span class="handle">@mara</span></h1>' in page
    assert "Reads the harbour news.<br>Writes back." in page


def test_emptying_the_fields_clears_them(client, mara):
    User.objects.filter(pk=mara.pk).update(display_name="Mara", location="Here")
    assert client.post(URL, {"display_name": "", "location": "", "bio": ""}).status_code == 303
    assert saved(mara) == ("", "", "")


@pytest.mark.parametrize(("data", "message"), [
    ({"display_name": "x" * 51}, "Ensure this value has at most 50 characters"),
    ({"location": "y" * 101}, "Ensure this value has at most 100 characters"),
    ({"bio": "z" * 2001}, "A bio can be at most 2,000 characters long (this one has 2,001)."),
    ({"display_name": "Mara\u202egnp.exe"}, "The display name contains invisible control"),
    ({"location": "Here\u0007"}, "The location contains invisible control characters."),
    ({"bio": "Hello\u200b\u202e"}, "The bio contains invisible control characters."),
    ({"display_name": "Nul\x00byte"}, "Null characters are not allowed."),
])
def test_bad_input_is_400_with_the_reason_and_changes_nothing(client, mara, data, message):
    form = {"display_name": "", "location": "", "bio": ""} | data
    response = client.post(URL, form)
    assert response.status_code == 400
    assert message in unescape(response.content.decode())
    assert saved(mara) == ("", "", "Old bio")


def test_the_form_keeps_what_was_typed_after_an_error(client, mara):
    response = client.post(URL, {"display_name": "Mara", "location": "L" * 101, "bio": "New"})
    text = unescape(response.content.decode())
    assert 'value="Mara"' in text and "\nNew</textarea>" in text
    assert 'aria-invalid="true"' in text


def test_a_bio_of_2000_characters_with_windows_line_breaks_fits(client, mara):
    bio = ("a" * 99 + "\r\n") * 20  # 2,020 characters as sent, 2,000 once breaks are one
    assert client.post(URL, {"display_name": "", "location": "", "bio": bio}).status_code == 303
    assert len(saved(mara)[2]) == 1999  # the last line break is trimmed


def test_emoji_with_joiners_are_allowed_in_a_display_name(client, mara):
    name = "Mara \U0001f469\u200d\U0001f4bb"
    assert client.post(URL, {"display_name": name, "location": "", "bio": ""}).status_code == 303
    assert saved(mara)[0] == name


def test_a_guest_is_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"] == "/signin/?next=/me/profile/"
    response = client.post(URL, {"display_name": "Intruder"})
    assert response.status_code == 302
    assert not User.objects.filter(display_name="Intruder").exists()


def test_the_form_only_ever_changes_the_signed_in_member(client, mara, make_member):
    other = make_member("other")
    client.post(URL, {"display_name": "Mara", "location": "", "bio": "",
                      "username": "other", "id": other.pk, "member": other.pk})
    assert saved(other) == ("", "", "")
    assert saved(mara)[0] == "Mara"


def test_the_form_needs_its_csrf_token(mara):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(mara)
    assert strict.post(URL, {"display_name": "Forged"}).status_code == 403
    assert saved(mara)[0] == ""


def test_update_profile_refuses_an_inactive_member(make_member):
    member = make_member("sleeper", is_active=False)
    with pytest.raises(Forbidden):
        update_profile(member=member, display_name="Awake", bio="", location="")
    assert saved(member)[0] == ""


def test_update_profile_checks_lengths_itself(make_member):
    member = make_member("ada")
    with pytest.raises(Invalid) as refused:
        update_profile(member=member, display_name="n" * 51, bio="", location="")
    assert refused.value.field == "display_name"
    assert str(refused.value) == ("A display name can be at most 50 characters long "
                                  "(this one has 51).")


def test_the_admin_edits_profile_fields_but_not_the_kept_reputation(client, make_member):
    admin = make_member("root", is_staff=True, is_superuser=True)
    member = make_member("mara", display_name="Mara", reputation=5)
    client.force_login(admin)
    page = client.get(f"/admin/accounts/user/{member.pk}/change/").content.decode()
    assert 'name="display_name"' in page and 'name="location"' in page
    assert 'name="reputation"' not in page and 'name="avatar"' not in page
