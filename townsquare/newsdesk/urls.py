from django.urls import path

from . import views

urlpatterns = [
    path("desk/", views.queue, name="desk"),
    path("desk/stories/<id:story_id>/", views.story, name="desk_story"),
    path("desk/stories/<id:story_id>/correction/", views.correction, name="desk_correction"),
    path("desk/sources/", views.sources, name="desk_sources"),
    path("desk/sources/<id:source_id>/", views.source, name="desk_source"),
    path("desk/sources/<id:source_id>/poll/", views.source_poll, name="desk_source_poll"),
]
