from django.urls import path

from . import views

urlpatterns = [
    path("uploads/", views.upload, name="upload"),
    path("uploads/new/", views.upload_new, name="upload_new"),
]
