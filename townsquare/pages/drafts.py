"""The endpoints of what a member is writing, for the topics and posts they may see: saving
and discarding drafts, collecting quotes, previewing a body as it will be stored."""

from urllib.parse import urlsplit

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import Resolver404, resolve
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from townsquare.core.errors import Invalid
from townsquare.core.http import see_other
from townsquare.core.inputs import id_param
from townsquare.core.shell import filled
from townsquare.drafts.actions import clear_draft, save_draft
from townsquare.forum.actions import clean_body, render_body
from townsquare.forum.actions_quoting import collect_quote
from townsquare.forum.queries import get_post, get_preview_destination, get_topic


@login_required
@require_POST
def draft_save(request, topic_id: int | None = None):
    topic = get_topic(topic_id, request.user) if topic_id else None
    draft = save_draft(member=request.user, topic=topic, body=request.POST.get("body", ""))
    if request.htmx:
        return render(request, "drafts/draft_status.html", {"draft": draft})
    return see_other(f"{topic.get_absolute_url()}#reply-area" if topic else "/new/")


@login_required
@require_POST
def draft_discard(request, topic_id: int | None = None):
    topic = get_topic(topic_id, request.user) if topic_id else None
    clear_draft(member=request.user, topic=topic)
    if request.htmx:
        return render(request, "drafts/draft_status.html", {"draft": None})
    return see_other(f"{topic.get_absolute_url()}#reply-area" if topic else "/new/")


@login_required
@require_POST
def quote_toggle(request):
    post_id = id_param(request.POST, "post", broken="That quote button is broken.")
    selected, _ = collect_quote(member=request.user, post_id=post_id)
    if request.htmx:
        return HttpResponse(filled(request, "components/post.html#multiquote",
                                   post_id=post_id, selected=selected))
    return see_other(get_post(post_id, request.user).get_absolute_url())


def _destination(request):
    """Where the previewed form posts, from its address (a reply or an edit) or its chosen
    category (a new topic)."""
    try:
        match = resolve(urlsplit(request.POST.get("form_action", "")).path)
    except Resolver404:
        match = None
    ids = {key: value for key, value in match.kwargs.items() if value < 2**63} \
        if match and match.url_name in ("topic_reply", "post_edit") else {}
    raw = request.POST.get("category", "")
    category_id = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 19 else None
    return get_preview_destination(request.user, topic_id=ids.get("topic_id"),
                                   post_id=ids.get("post_id"), category_id=category_id)


@login_required
@require_POST
def preview(request):
    """The body as it will be stored; a fragment for htmx, a page with the form without JS."""
    body = request.POST.get("body", "")
    try:
        html, _ = render_body(clean_body(body), writer=request.user,
                              destination=_destination(request))
    except Invalid as error:
        html, status = None, 400
        message = error.message
    else:
        status, message = 200, ""
    if request.htmx:
        return render(request, "pages/preview.html#fragment",
                      {"html": html, "message": message}, status=status)
    form_action = request.POST.get("form_action", "")
    if not (form_action.startswith("/") and not form_action.startswith("//")
            and url_has_allowed_host_and_scheme(form_action, {request.get_host()})):
        raise Invalid("That form can't be previewed.")
    kept = [(k, v) for k, v in request.POST.items()
            if k not in ("body", "csrfmiddlewaretoken", "form_action")]
    return render(request, "pages/preview.html", {
        "html": html, "message": message, "body": body, "form_action": form_action,
        "kept": kept}, status=status)
