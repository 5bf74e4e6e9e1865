from django.urls import path

from . import views, views_editing

urlpatterns = [
    path("c/<id:category_id>/mark-read/", views.category_mark_read, name="category_mark_read"),
    path("new/", views.topic_new, name="topic_new"),
    path("p/<id:post_id>/", views.post, name="post"),
    path("p/<id:post_id>/edit/", views_editing.post_edit, name="post_edit"),
    path("p/<id:post_id>/history/", views_editing.post_history, name="post_history"),
    path("p/<id:post_id>/delete/", views_editing.post_delete, name="post_delete"),
    path("p/<id:post_id>/restore/", views_editing.post_restore, name="post_restore"),
]
