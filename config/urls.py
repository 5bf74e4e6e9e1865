from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("townsquare.accounts.urls")),
    path("", include("townsquare.reactions.urls")),
    path("", include("townsquare.forum.urls")),
    # Uploaded files; a larger site serves MEDIA_ROOT from its front server or a bucket.
    re_path(r"^media/(?P<path>.+)$", serve, {"document_root": settings.MEDIA_ROOT}),
]
