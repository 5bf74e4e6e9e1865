"""The newsletter's pages: the banner's subscribe endpoint, the links in its emails
(confirm, manage, unsubscribe) and the editors' desk.

Two endpoints take posts without a CSRF token, each for its own reason (see their
comments); every other form here carries one.
"""

from urllib.parse import urlsplit

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from townsquare.core.errors import ActionError, Forbidden
from townsquare.core.http import refusal, see_other
from townsquare.core.ratelimit import check_rate, client_address

from . import actions, permissions, queries
from .models import Digest, Frequency, Subscriber
from .tokens import manage_token, read_confirm_token, read_manage_token

CROSS_SITE = ("This form can only be sent from a page of this site. Open the newsletter "
              "page and subscribe there.")


@require_safe
def newsletter(request):
    user = request.user
    return render(request, "newsletter/newsletter.html", {
        "newsletter_email": user.email if user.is_authenticated else "",
        "can_run_desk": permissions.can_run_newsletter(user)})


def refuse_cross_site(request) -> None:
    """Forbidden unless the post comes from a page of this site: the Origin header when the
    browser sends one, else Sec-Fetch-Site, else the Referer. A request with none of them
    is no browser's cross-site form (browsers send Origin on every cross-site POST)."""
    host = request.get_host().lower()
    origin = request.headers.get("Origin")
    if origin is not None:
        same = origin != "null" and (urlsplit(origin).netloc.lower() == host)
    elif (fetch_site := request.headers.get("Sec-Fetch-Site")) is not None:
        same = fetch_site in ("same-origin", "none")
    elif referer := request.headers.get("Referer"):
        same = urlsplit(referer).netloc.lower() == host
    else:
        same = True
    if not same:
        raise Forbidden(CROSS_SITE)


# The banner sits on news topic pages that are cached whole for guests and so carry no CSRF
# token: this endpoint is exempt, and refuses cross-site posts by their Origin instead. A
# forged subscription would be harmless anyway: it only sends the address a confirmation
# link (double opt-in), rate-limited per client and per address.
@csrf_exempt
@require_POST
def subscribe(request):
    refuse_cross_site(request)
    email = request.POST.get("email", "")
    frequency = request.POST.get("frequency", Frequency.WEEKLY)
    try:
        check_rate("subscribe", client_address(request))
        actions.subscribe(email=email, frequency=frequency, member=request.user)
    except ActionError as error:
        context = {"newsletter_email": email, "newsletter_frequency": frequency,
                   "newsletter_error": error}
        template = "newsletter/banner.html" if request.htmx else "newsletter/newsletter.html"
        return refusal(render(request, template, context, status=error.status), error)
    if request.htmx:
        return render(request, "newsletter/banner.html", {"newsletter_done": True})
    return see_other(reverse("newsletter_check_inbox"))


@require_safe
def check_inbox(request):
    return render(request, "newsletter/check_inbox.html")


@require_http_methods(["GET", "POST"])
def confirm(request, token: str):
    # GET only shows a button: link scanners in mail systems open links, and must not
    # confirm a subscription nobody asked for.
    subscriber = read_confirm_token(token)
    manage_url = reverse("newsletter_manage", args=[manage_token(subscriber)])
    already = subscriber.status == Subscriber.Status.ACTIVE
    if request.method == "POST":
        already = not actions.confirm_subscription(subscriber=subscriber)
        if not already:
            return see_other(f"{manage_url}?done=confirmed")
    return render(request, "newsletter/confirm.html", {
        "subscriber": subscriber, "already": already, "manage_url": manage_url})


@require_http_methods(["GET", "POST"])
def manage(request, token: str):
    subscriber = read_manage_token(token)
    if request.method == "POST":
        try:
            actions.change_frequency(subscriber=subscriber,
                                     frequency=request.POST.get("frequency", ""))
        except ActionError as error:
            return render(request, "newsletter/manage.html", {
                "subscriber": subscriber, "token": token, "error": error,
                "frequencies": Frequency.choices}, status=error.status)
        return see_other(f"{request.path}?done=saved")
    return render(request, "newsletter/manage.html", {
        "subscriber": subscriber, "token": token, "frequencies": Frequency.choices,
        "done": request.GET.get("done")})


# Exempt from CSRF because mail clients post here themselves (RFC 8058 one-click
# unsubscribe: `List-Unsubscribe=One-Click`, with no cookies and no page to take a token
# from). The signed token in the URL is the authority: only the inbox that got it has it.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    subscriber = read_manage_token(token)
    context = {"subscriber": subscriber, "token": token}
    if request.method == "GET":
        already = subscriber.status == Subscriber.Status.UNSUBSCRIBED
        return render(request, "newsletter/unsubscribe.html", context | {"already": already})
    if not actions.unsubscribe(subscriber=subscriber):
        return render(request, "newsletter/unsubscribe.html", context | {"already": True})
    if request.POST.get("List-Unsubscribe") == "One-Click":
        return render(request, "newsletter/unsubscribe.html", context | {"done": True})
    return see_other(reverse("newsletter_manage", args=[token]) + "?done=unsubscribed")


@login_required
@require_safe
def desk(request):
    if not permissions.can_run_newsletter(request.user):
        raise Forbidden("Only editors can see the newsletter desk.")
    now = timezone.now()
    digests = queries.list_desk_digests(now)
    context = {
        "counts": queries.get_subscriber_counts(), "digests": digests,
        "log": queries.list_send_log(now), "frequencies": Frequency.choices,
        "sending": any(d.status == Digest.Status.SENDING for d in digests),
        "sent": request.GET.get("sent"),
        "sent_digest": next((d for d in digests if str(d.pk) == request.GET.get("sent")), None),
    }
    template = "newsletter/desk.html#status" if request.htmx else "newsletter/desk.html"
    return render(request, template, context)


@login_required
@require_POST
def desk_send(request):
    digest = actions.send_digest_now(editor=request.user,
                                     frequency=request.POST.get("frequency", ""))
    # The desk says what happened to the digest named here (or that none was needed).
    return see_other(reverse("newsletter_desk") + f"?sent={digest.pk if digest else 'none'}")
