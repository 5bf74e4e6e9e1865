from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from townsquare.accounts.models import User
from townsquare.core.errors import Invalid, NotFound
from townsquare.core.http import see_other
from townsquare.core.pagination import parse_page
from townsquare.forum.queries import get_category, get_topic

from . import actions, queries
from .forms import PreferencesForm
from .models import Ignore

PER_PAGE = 30


@login_required
@require_safe
def notifications(request):
    rows = queries.list_notifications(request.user)
    pages = Paginator(rows, PER_PAGE)
    page = pages.page(parse_page(request, pages.num_pages))
    return render(request, "notifications/list.html", {
        "page": page, "unread": queries.unread_count(request.user)})


@login_required
@require_safe
def notification_open(request, notification_id: int):
    notification = actions.open_notification(member=request.user,
                                             notification_id=notification_id)
    return see_other(notification.post.get_absolute_url())


@login_required
@require_POST
def notifications_read(request):
    actions.mark_all_read(member=request.user)
    return see_other(_back(request, "/notifications/"))


@login_required
@require_http_methods(["GET", "POST"])
def notification_settings(request):
    prefs = queries.preferences(request.user)
    ignoring = User.objects.filter(pk__in=Ignore.objects.filter(member=request.user)
                                   .values("ignored")).order_by("username")
    if request.method == "GET":
        form = PreferencesForm(initial={"email": prefs.email,
                                        "follow_on_reply": prefs.follow_on_reply,
                                        "notify_reactions": prefs.notify_reactions})
        return render(request, "notifications/settings.html",
                      {"form": form, "ignoring": ignoring})
    form = PreferencesForm(request.POST)
    if not form.is_valid():
        return render(request, "notifications/settings.html",
                      {"form": form, "ignoring": ignoring}, status=400)
    actions.save_preferences(member=request.user, **form.cleaned_data)
    return see_other("/notifications/settings/")


@login_required
@require_POST
def topic_watch(request, topic_id: int):
    topic = get_topic(topic_id, request.user)  # missing if it can't be seen, before the form
    actions.set_topic_watch(member=request.user, topic=topic,
                            level=request.POST.get("level", ""))
    return see_other(topic.get_absolute_url())


@login_required
@require_POST
def category_follow(request, category_id: int):
    category = get_category(category_id, request.user)
    actions.set_category_follow(member=request.user, category=category,
                                follow=_flag(request, "follow"))
    return see_other(category.get_absolute_url())


@login_required
@require_POST
def member_follow(request, username: str):
    other = _member(username)
    actions.set_member_follow(member=request.user, other=other,
                              follow=_flag(request, "follow"))
    return see_other(other.get_absolute_url())


@login_required
@require_POST
def member_ignore(request, username: str):
    other = _member(username)
    actions.set_ignore(member=request.user, other=other, ignore=_flag(request, "ignore"))
    return see_other(_back(request, other.get_absolute_url()))


def _member(username: str) -> User:
    other = User.objects.filter(username__iexact=username, is_active=True).first()
    if other is None:
        raise NotFound("There is no member by that name.")
    return other


def _flag(request, name: str) -> bool:
    value = request.POST.get(name, "")
    if value not in ("0", "1"):
        raise Invalid(f"Say {name}=1 or {name}=0.")
    return value == "1"


def _back(request, default: str) -> str:
    from django.utils.http import url_has_allowed_host_and_scheme

    target = request.POST.get("next", "")
    ok = target and url_has_allowed_host_and_scheme(target, {request.get_host()},
                                                    request.is_secure())
    return target if ok else default
