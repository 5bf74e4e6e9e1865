from django.urls import path

from . import views

urlpatterns = [
    path("newsletter/", views.newsletter, name="newsletter"),
    path("newsletter/subscribe/", views.subscribe, name="newsletter_subscribe"),
    path("newsletter/check-inbox/", views.check_inbox, name="newsletter_check_inbox"),
    path("newsletter/confirm/<str:token>/", views.confirm, name="newsletter_confirm"),
    path("newsletter/manage/<str:token>/", views.manage, name="newsletter_manage"),
    path("newsletter/unsubscribe/<str:token>/", views.unsubscribe,
         name="newsletter_unsubscribe"),
    path("newsletter/desk/", views.desk, name="newsletter_desk"),
    path("newsletter/desk/send/", views.desk_send, name="newsletter_desk_send"),
]
