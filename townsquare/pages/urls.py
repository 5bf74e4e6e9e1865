from django.urls import path

from . import files

urlpatterns = [
    path("media/<path:path>", files.media, name="media"),
]
