from django.urls import path

from . import views, views_editing

urlpatterns = [
    path("", views.home, name="home"),
    path("c/<int:category_id>/mark-read/", views.category_mark_read, name="category_mark_read"),
    path("c/<int:category_id>/<str:slug>/", views.category, name="category"),
    path("t/<int:topic_id>/reply/", views.topic_reply, name="topic_reply"),
    path("t/<int:topic_id>/<str:slug>/", views.topic, name="topic"),
    path("new/", views.topic_new, name="topic_new"),
    path("p/<int:post_id>/", views.post, name="post"),
    path("p/<int:post_id>/edit/", views_editing.post_edit, name="post_edit"),
    path("p/<int:post_id>/history/", views_editing.post_history, name="post_history"),
    path("p/<int:post_id>/delete/", views_editing.post_delete, name="post_delete"),
    path("p/<int:post_id>/restore/", views_editing.post_restore, name="post_restore"),
]
