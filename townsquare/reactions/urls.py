from django.urls import path

from . import views

urlpatterns = [
    path("p/<int:post_id>/react/", views.post_react, name="post_react"),
]
