from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from townsquare.core.errors import ActionError, Forbidden, Invalid, NotFound, TooLarge
from townsquare.core.http import refusal, see_other
from townsquare.core.images import IMMUTABLE, form_too_large, human_size, too_large_message
from townsquare.core.inputs import member_text
from townsquare.core.links import url_for
from townsquare.core.ratelimit import check_rate, client_address

from . import actions, avatars, queries
from .forms import ProfileEditForm, RegisterForm, SigninForm
from .permissions import can_edit_profile
from .tokens import read_registration_token


@require_http_methods(["GET", "POST"])
def register(request):
    if request.method == "GET":
        return render(request, "accounts/register.html", {"form": RegisterForm()})
    form = RegisterForm(request.POST)
    if not form.is_valid():
        return render(request, "accounts/register.html", {"form": form}, status=400)
    try:
        check_rate("register", client_address(request))
        actions.register_member(**form.cleaned_data, next=_safe_next(request))
    except ActionError as error:
        form.add_error(error.field if error.field in form.fields else None, error.message)
        return refusal(render(request, "accounts/register.html", {"form": form},
                              status=error.status), error)
    return see_other(reverse("register_sent"))


@require_safe
def register_sent(request):
    return render(request, "accounts/register_sent.html")


@require_http_methods(["GET", "POST"])
def register_confirm(request, token: str):
    """The emailed link: a button (mail systems open links to scan them, and must not make
    accounts), whose post makes the account and signs the new member in."""
    registration = read_registration_token(token)
    if request.method == "GET":
        return render(request, "accounts/register_confirm.html", {"registration": registration})
    try:
        member = actions.create_member(registration=registration)
    except ActionError as error:
        return render(request, "accounts/register_confirm.html",
                      {"registration": registration, "error": error}, status=error.status)
    login(request, member, backend="townsquare.accounts.backends.MemberBackend")
    messages.success(request, f"Welcome to {settings.SITE_NAME}, {member.username}!")
    return see_other(_safe_next(request, registration.next))


def _safe_next(request, target: str = "") -> str:
    from django.utils.http import url_has_allowed_host_and_scheme

    target = target or request.POST.get("next") or request.GET.get("next") or "/"
    ok = url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure())
    return target if ok else "/"


class SigninView(auth_views.LoginView):
    template_name = "accounts/signin.html"
    authentication_form = SigninForm
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        form = self.get_form()
        if not form.is_valid():
            return self.form_invalid(form)
        try:
            member = actions.authenticate_member(
                login=form.cleaned_data["username"], password=form.cleaned_data["password"],
                address=client_address(request))
        except ActionError as error:
            # Refused, locked out for now included: the form again, with the reason.
            form.add_error(None, error.message)
            return refusal(self.form_invalid(form, status=error.status), error)
        login(request, member, backend="townsquare.accounts.backends.MemberBackend")
        return HttpResponseRedirect(self.get_success_url())

    def get_context_data(self, **kwargs):
        # Django's LoginView names the site after the host; pages use the configured name.
        return super().get_context_data(**kwargs) | {"site_name": settings.SITE_NAME}

    def form_invalid(self, form, status: int = 400):
        return self.render_to_response(self.get_context_data(form=form), status=status)


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset.html"

    def post(self, request, *args, **kwargs):
        check_rate("password_reset", client_address(request))
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        # The worker sends the email (if the address has an account), with links made
        # from SITE_URL: this answer and its time are the same for any address.
        actions.ask_password_reset(email=form.cleaned_data["email"])
        return HttpResponseRedirect(self.get_success_url())


@require_safe
def member_alias(request, username: str):
    """/members/<name>/ is another address of the profile."""
    return redirect(url_for("member", username), permanent=True)


@require_safe
def member_avatar(request, username: str):
    """The generated avatar of a member without an uploaded one.

    It is drawn from the name in the address alone, so it needs no database query and
    never changes: cached for a year.
    """
    try:
        UnicodeUsernameValidator()(username)
    except ValidationError:
        raise NotFound("There is no member by that name.") from None
    response = HttpResponse(avatars.default_svg(username), content_type="image/svg+xml")
    response["Cache-Control"] = IMMUTABLE
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def profile_edit(request):
    """The signed-in member's own profile: display name, bio, location (and the avatar's
    forms, which post to profile_avatar and profile_avatar_remove)."""
    member = request.user
    if request.method == "GET":
        return _edit_page(request)
    form = ProfileEditForm(request.POST)
    if not form.is_valid():
        return _edit_page(request, form, status=400)
    try:
        actions.update_profile(member=member, **form.cleaned_data)
    except ActionError as error:
        form.add_error(error.field if error.field in form.fields else None, error.message)
        return _edit_page(request, form, status=error.status)
    messages.success(request, "Your profile is saved.")
    return see_other(member.get_absolute_url())


def _edit_page(request, form=None, *, status=200, avatar_error: str = ""):
    member = request.user
    if form is None:
        form = ProfileEditForm(initial={"display_name": member.display_name,
                                        "bio": member.bio, "location": member.location})
    return render(request, "accounts/profile_edit.html", {
        "form": form, "profile": member, "avatar_error": avatar_error,
        "max_size": human_size(settings.UPLOAD_MAX_BYTES),
    }, status=status)


@csrf_exempt  # checked by _profile_avatar, once the body is known to be a sensible size
@require_POST
def profile_avatar(request):
    """A new avatar from the profile page's file form."""
    if form_too_large(request):
        return _avatar_refused(request, TooLarge(too_large_message()))
    return _profile_avatar(request)


@csrf_protect
def _profile_avatar(request):
    try:
        if not can_edit_profile(request.user):
            raise Forbidden("Sign in to change your avatar.")
        if "avatar" not in request.FILES:
            raise Invalid("Choose an image file to upload.")
        actions.set_avatar(member=request.user, file=request.FILES["avatar"])
    except ActionError as error:
        return _avatar_refused(request, error)
    messages.success(request, "Your new avatar is in place.")
    return see_other(reverse("profile_edit"))


def _avatar_refused(request, error: ActionError):
    if not can_edit_profile(request.user):
        raise error
    return refusal(_edit_page(request, status=error.status, avatar_error=error.message), error)


@login_required
@require_POST
def profile_avatar_remove(request):
    actions.remove_avatar(member=request.user)
    messages.success(request, "Your avatar is removed: the one made from your initials is back.")
    return see_other(reverse("profile_edit"))


@require_safe
def member_suggest(request):
    """Members for the editor's @mention autocomplete: a listbox fragment, or JSON."""
    q = member_text(request.GET.get("q", "")).strip().lstrip("@")  # no NUL into a query
    found = list(queries.list_members_starting(q)) if 0 < len(q) <= 150 else []
    if "application/json" in request.headers.get("Accept", ""):
        return JsonResponse({"members": [{"username": m.username,
                                          "url": m.get_absolute_url()} for m in found]})
    return render(request, "accounts/member_suggest.html", {"members": found})
