from django.urls import path

from . import drafts, files, live, profile, views

urlpatterns = [
    path("t/<id:topic_id>/typing/", live.topic_typing, name="topic_typing"),
    path("me/browsing/", live.browsing_preference, name="browsing_preference"),
    path("", views.home, name="home"),
    path("c/<id:category_id>/<str:slug>/", views.category, name="category"),
    path("t/<id:topic_id>/reply/", views.topic_reply, name="topic_reply"),
    path("t/<id:topic_id>/<str:slug>/", views.topic, name="topic"),
    path("u/<str:username>/", profile.member, name="member"),
    path("drafts/t/<id:topic_id>/", drafts.draft_save, name="draft_save"),
    path("drafts/t/<id:topic_id>/discard/", drafts.draft_discard, name="draft_discard"),
    path("drafts/new/", drafts.draft_save, name="draft_save_new"),
    path("drafts/new/discard/", drafts.draft_discard, name="draft_discard_new"),
    path("drafts/quotes/", drafts.quote_toggle, name="quote_toggle"),
    path("preview/", drafts.preview, name="preview"),
    path("media/<path:path>", files.media, name="media"),
]
