from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("c/<int:category_id>/<str:slug>/", views.category, name="category"),
    path("t/<int:topic_id>/reply/", views.topic_reply, name="topic_reply"),
    path("t/<int:topic_id>/<str:slug>/", views.topic, name="topic"),
    path("new/", views.topic_new, name="topic_new"),
    path("p/<int:post_id>/", views.post, name="post"),
]
