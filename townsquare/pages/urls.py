from django.urls import path

from . import live, views

urlpatterns = [
    path("t/<id:topic_id>/typing/", live.topic_typing, name="topic_typing"),
    path("me/browsing/", live.browsing_preference, name="browsing_preference"),
    path("", views.home, name="home"),
    path("c/<id:category_id>/<str:slug>/", views.category, name="category"),
    path("t/<id:topic_id>/reply/", views.topic_reply, name="topic_reply"),
    path("t/<id:topic_id>/<str:slug>/", views.topic, name="topic"),
]
