from django.urls import path

from . import drafts, files, profile

urlpatterns = [
    path("u/<str:username>/", profile.member, name="member"),
    path("drafts/t/<id:topic_id>/", drafts.draft_save, name="draft_save"),
    path("drafts/t/<id:topic_id>/discard/", drafts.draft_discard, name="draft_discard"),
    path("drafts/new/", drafts.draft_save, name="draft_save_new"),
    path("drafts/new/discard/", drafts.draft_discard, name="draft_discard_new"),
    path("drafts/quotes/", drafts.quote_toggle, name="quote_toggle"),
    path("preview/", drafts.preview, name="preview"),
    path("media/<path:path>", files.media, name="media"),
]
