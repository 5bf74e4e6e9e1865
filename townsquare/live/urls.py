from django.urls import path

from . import views

urlpatterns = [
    path("t/<id:topic_id>/typing/", views.topic_typing, name="topic_typing"),
    path("me/browsing/", views.browsing_preference, name="browsing_preference"),
]
