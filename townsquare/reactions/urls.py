from django.urls import path

from . import views

urlpatterns = [
    path("p/<id:post_id>/react/", views.post_react, name="post_react"),
]
