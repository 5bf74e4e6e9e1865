"""The pages' addresses come after every app's (pages is included last): each still resolves
to the view and arguments it names, and the apps' own addresses beside them are not taken."""

import pytest
from django.urls import resolve


@pytest.mark.parametrize("path, name, module, kwargs", [
    ("/u/ada/", "member", "pages.profile", {"username": "ada"}),
    ("/u/jo.ann_b-2+x@home/", "member", "pages.profile", {"username": "jo.ann_b-2+x@home"}),
    ("/members/ada/", "member_alias", "accounts.views", {"username": "ada"}),
    ("/members/suggest/", "member_suggest", "accounts.views", {}),
    ("/members/ada/avatar.svg", "member_avatar", "accounts.views", {"username": "ada"}),
    ("/members/ada/follow/", "member_follow", "notifications.views", {"username": "ada"}),
    ("/members/ada/ignore/", "member_ignore", "notifications.views", {"username": "ada"}),
    ("/drafts/t/7/", "draft_save", "pages.drafts", {"topic_id": 7}),
    ("/drafts/t/7/discard/", "draft_discard", "pages.drafts", {"topic_id": 7}),
    ("/drafts/new/", "draft_save_new", "pages.drafts", {}),
    ("/drafts/new/discard/", "draft_discard_new", "pages.drafts", {}),
    ("/drafts/quotes/", "quote_toggle", "pages.drafts", {}),
    ("/preview/", "preview", "pages.drafts", {}),
    ("/media/uploads/2026/01/a.webp", "media", "pages.files",
     {"path": "uploads/2026/01/a.webp"}),
    ("/uploads/", "upload", "uploads.views", {}),
])
def test_each_address_resolves_to_its_view(path, name, module, kwargs):
    match = resolve(path)
    assert (match.url_name, match.func.__module__, match.kwargs) == (
        name, f"townsquare.{module}", kwargs)
