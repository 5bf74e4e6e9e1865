from django.urls import path

from . import views

urlpatterns = [
    path("drafts/t/<id:topic_id>/", views.draft_save, name="draft_save"),
    path("drafts/t/<id:topic_id>/discard/", views.draft_discard, name="draft_discard"),
    path("drafts/new/", views.draft_save, name="draft_save_new"),
    path("drafts/new/discard/", views.draft_discard, name="draft_discard_new"),
    path("drafts/quotes/", views.quote_toggle, name="quote_toggle"),
    path("preview/", views.preview, name="preview"),
]
