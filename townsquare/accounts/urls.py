from django.contrib.auth import views as auth_views
from django.urls import path

from . import views
from .forms import NewPasswordForm

urlpatterns = [
    path("register/", views.register, name="register"),
    path("register/sent/", views.register_sent, name="register_sent"),
    path("register/confirm/<str:token>/", views.register_confirm, name="register_confirm"),
    path("signin/", views.SigninView.as_view(), name="signin"),
    path("signout/", auth_views.LogoutView.as_view(), name="signout"),
    path("password/reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="accounts/password_reset_confirm.html", form_class=NewPasswordForm
        ),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="accounts/password_reset_complete.html"
        ),
        name="password_reset_complete",
    ),
    path("members/suggest/", views.member_suggest, name="member_suggest"),
    path("members/<str:username>/avatar.svg", views.member_avatar, name="member_avatar"),
    path("members/<str:username>/", views.member_alias, name="member_alias"),
    path("me/profile/", views.profile_edit, name="profile_edit"),
    path("me/profile/avatar/", views.profile_avatar, name="profile_avatar"),
    path("me/profile/avatar/remove/", views.profile_avatar_remove,
         name="profile_avatar_remove"),
]
