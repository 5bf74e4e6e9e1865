from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from townsquare.core.errors import ActionError
from townsquare.core.http import see_other
from townsquare.core.ratelimit import check_rate, client_address
from townsquare.forum.queries import list_member_recent_posts

from . import queries
from .actions import register_member
from .forms import RegisterForm, SigninForm
from .models import User


@require_http_methods(["GET", "POST"])
def register(request):
    if request.method == "GET":
        return render(request, "accounts/register.html", {"form": RegisterForm()})
    form = RegisterForm(request.POST)
    if not form.is_valid():
        return render(request, "accounts/register.html", {"form": form}, status=400)
    try:
        check_rate("register", client_address(request))
        member = register_member(**form.cleaned_data)
    except ActionError as error:
        form.add_error(error.field if error.field in form.fields else None, error.message)
        return render(request, "accounts/register.html", {"form": form}, status=error.status)
    login(request, member, backend="townsquare.accounts.backends.MemberBackend")
    return see_other(_safe_next(request))


def _safe_next(request) -> str:
    from django.utils.http import url_has_allowed_host_and_scheme

    target = request.POST.get("next") or request.GET.get("next") or "/"
    ok = url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure())
    return target if ok else "/"


class SigninView(auth_views.LoginView):
    template_name = "accounts/signin.html"
    authentication_form = SigninForm
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        check_rate("signin", client_address(request))
        return super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        # Django's LoginView names the site after the host; pages use the configured name.
        return super().get_context_data(**kwargs) | {"site_name": settings.SITE_NAME}

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"

    @property
    def extra_email_context(self):
        # Without it the email names the site after the host ("the example.com account").
        return {"site_name": settings.SITE_NAME}

    def post(self, request, *args, **kwargs):
        check_rate("password_reset", client_address(request))
        return super().post(request, *args, **kwargs)


@require_safe
def member(request, username: str):
    profile = get_object_or_404(User, username__iexact=username, is_active=True)
    if profile.username != username:
        return redirect(profile.get_absolute_url(), permanent=True)
    return render(request, "accounts/member.html", {
        "profile": profile, "recent_posts": list_member_recent_posts(profile),
    })


@require_safe
def member_suggest(request):
    """Members for the editor's @mention autocomplete: a listbox fragment, or JSON."""
    q = request.GET.get("q", "").strip().lstrip("@")
    found = list(queries.list_members_starting(q)) if 0 < len(q) <= 150 else []
    if "application/json" in request.headers.get("Accept", ""):
        return JsonResponse({"members": [{"username": m.username,
                                          "url": m.get_absolute_url()} for m in found]})
    return render(request, "accounts/member_suggest.html", {"members": found})
