from django.contrib import admin
from django.urls import include, path

from townsquare.core.routing import RememberingResolver

urlpatterns = [RememberingResolver([
    path("admin/", admin.site.urls),
    path("", include("townsquare.core.urls")),
    path("", include("townsquare.accounts.urls")),
    path("", include("townsquare.reactions.urls")),
    path("", include("townsquare.notifications.urls")),
    path("", include("townsquare.forum.urls")),
    path("", include("townsquare.pages.urls")),
    # Uploading images; pages serves the stored files (or redirects to them, in a bucket).
    path("", include("townsquare.uploads.urls")),
    path("", include("townsquare.newsdesk.urls")),
    path("", include("townsquare.newsletter.urls")),
])]

handler500 = "townsquare.core.views.server_error"
