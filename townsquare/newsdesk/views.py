"""The news desk's pages: the story queue, a story's adaptation, sources and their health.

Every page is for editors: guests are sent to sign in, members get a 403 with the reason.
Every action is a plain form post (303 to the result); refusals re-render the form with the
message and the action's status.
"""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from townsquare.core.errors import ActionError, Invalid, NotFound
from townsquare.core.http import see_other
from townsquare.core.pagination import parse_page

from . import queries
from .actions.desk import require_editor
from .actions.sources import poll_now, save_source
from .actions.stories import (
    add_correction,
    discard_story,
    dismiss_change,
    get_story,
    publish_story,
    restore_story,
    save_story,
)
from .forms import CorrectionForm, SourceForm, StoryForm
from .models import Source, Story

STORIES_PER_PAGE = 30


@login_required
@require_safe
def queue(request):
    require_editor(request.user)
    view = request.GET.get("view", "queued")
    if view not in queries.QUEUE_VIEWS:
        raise Invalid("There is no such list of stories.")
    pages = Paginator(queries.list_stories(view), STORIES_PER_PAGE)
    page = pages.page(parse_page(request, pages.num_pages))
    return render(request, "newsdesk/queue.html", {
        "view": view,
        "views": [(key, label, n) for (key, (label, _, _)), n in
                  zip(queries.QUEUE_VIEWS.items(), queries.queue_counts().values(),
                      strict=True)],
        "page": page,
        "unhealthy": Source.objects.filter(active=True, failures__gt=0).count(),
    })


@login_required
@require_http_methods(["GET", "POST"])
def story(request, story_id: int):
    item = get_story(story_id, editor=request.user)
    if request.method == "GET":
        return _story_page(request, item)
    form = StoryForm(request.POST)
    intent = request.POST.get("intent", "publish")
    try:
        if intent == "discard":
            discard_story(editor=request.user, story=item)
            return see_other(_queue_url())
        if intent == "restore":
            restore_story(editor=request.user, story=item)
            return see_other(item.get_absolute_url())
        if intent not in ("save", "publish", "schedule"):
            raise Invalid("Choose publish, schedule, save or discard.")
        if not form.is_valid():
            return _story_page(request, item, form, status=400)
        data = form.cleaned_data
        if intent == "save":
            save_story(editor=request.user, story=item, title=data["title"],
                       body=data["body"], category=data["category"])
            return see_other(item.get_absolute_url())
        if intent == "schedule" and data["publish_at"] is None:
            raise Invalid("Give the time to publish at.", field="publish_at")
        done = publish_story(
            editor=request.user, story=item, title=data["title"], body=data["body"],
            category=data["category"],
            publish_at=data["publish_at"] if intent == "schedule" else None)
    except ActionError as error:
        form.is_valid()  # (cached) so that the error can be attached
        form.add_error(error.field if error.field in form.fields else None, error.message)
        item.refresh_from_db()  # a conflict: show the story as it is now
        return _story_page(request, item, form, status=error.status)
    if done.status == Story.Status.PUBLISHED:
        return see_other(done.topic.get_absolute_url())
    return see_other(_queue_url("scheduled"))


def _story_page(request, item: Story, form=None, status: int = 200, correction_form=None):
    form = form or StoryForm(initial={"title": item.title, "body": item.body,
                                      "category": item.category_id,
                                      "publish_at": item.publish_at})
    carriers = item.carriers.select_related("source").order_by("first_seen", "id")
    return render(request, "newsdesk/story.html", {
        "story": item, "form": form, "carriers": carriers,
        "correction_form": correction_form or CorrectionForm(),
        "corrections": item.topic.corrections.all() if item.topic_id else [],
    }, status=status)


@login_required
@require_POST
def correction(request, story_id: int):
    item = get_story(story_id, editor=request.user)
    if request.POST.get("intent") == "dismiss":
        dismiss_change(editor=request.user, story=item)
        return see_other(item.get_absolute_url())
    form = CorrectionForm(request.POST)
    if not form.is_valid():
        return _story_page(request, item, status=400, correction_form=form)
    try:
        add_correction(editor=request.user, story=item, note=form.cleaned_data["note"])
    except ActionError as error:
        form.add_error("note" if error.field == "note" else None, error.message)
        return _story_page(request, item, status=error.status, correction_form=form)
    return see_other(item.topic.get_absolute_url())


@login_required
@require_http_methods(["GET", "POST"])
def sources(request):
    require_editor(request.user)
    form = SourceForm(request.POST or None, initial={"active": True, "interval_minutes": 30})
    status = 200
    if request.method == "POST":
        try:
            _save_source(request, form, None)
            return see_other(request.path)
        except ActionError as error:
            status = error.status
    return render(request, "newsdesk/sources.html", {
        "sources": queries.list_sources(), "form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def source(request, source_id: int):
    require_editor(request.user)
    item = Source.objects.select_related("category").filter(pk=source_id).first()
    if item is None:
        raise NotFound("That source does not exist.")
    if request.method == "GET":
        form = SourceForm.of(item)
        status = 200
    else:
        form = SourceForm(request.POST)
        try:
            _save_source(request, form, item)
            return see_other(item.get_absolute_url())
        except ActionError as error:
            status = error.status
    recent = item.carriers.select_related("story").order_by("-first_seen", "-id")[:20]
    return render(request, "newsdesk/source.html", {
        "source": item, "form": form, "recent": recent}, status=status)


def _save_source(request, form: SourceForm, item: Source | None) -> Source:
    """Validate and save, or put the reason on the form and raise it."""
    if not form.is_valid():
        raise Invalid("The source was not saved: see the messages by the fields.")
    data = form.cleaned_data
    try:
        return save_source(editor=request.user, source=item, name=data["name"],
                           feed_url=data["feed_url"], category=data["category"],
                           interval_minutes=data["interval_minutes"], active=data["active"])
    except ActionError as error:
        form.add_error(error.field if error.field in form.fields else None, error.message)
        raise


@login_required
@require_POST
def source_poll(request, source_id: int):
    require_editor(request.user)
    item = Source.objects.filter(pk=source_id).first()
    if item is None:
        raise NotFound("That source does not exist.")
    poll_now(editor=request.user, source=item)
    return see_other(item.get_absolute_url())


def _queue_url(view: str = "queued") -> str:
    from django.urls import reverse

    return reverse("desk") + ("" if view == "queued" else f"?view={view}")
