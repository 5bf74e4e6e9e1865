from django.urls import path

from . import views

# Included before the forum's URLs: /t/<id>/watch/ would otherwise read as a topic slug.
urlpatterns = [
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.notifications_read, name="notifications_read"),
    path("notifications/settings/", views.notification_settings,
         name="notification_settings"),
    path("notifications/<id:notification_id>/", views.notification_open,
         name="notification_open"),
    path("t/<id:topic_id>/watch/", views.topic_watch, name="topic_watch"),
    path("c/<id:category_id>/follow/", views.category_follow, name="category_follow"),
    path("members/<str:username>/follow/", views.member_follow, name="member_follow"),
    path("members/<str:username>/ignore/", views.member_ignore, name="member_ignore"),
]
