from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from townsquare.core.errors import Invalid
from townsquare.core.http import see_other
from townsquare.core.randomness import token_hex
from townsquare.core.ratelimit import check_rate
from townsquare.drafts.queries import get_draft

from . import actions, actions_reading, permissions, queries
from .forms import TopicForm
from .models import Category


@login_required
@require_POST
def category_mark_read(request, category_id: int):
    cat = queries.get_category(category_id, request.user)
    actions_reading.mark_category_read(member=request.user, category=cat)
    messages.success(request, f"Every topic in {cat.title} is marked read.")
    return see_other(cat.get_absolute_url())


@require_safe
def post(request, post_id: int):
    p = queries.get_post(post_id, request.user)
    url = p.topic.get_absolute_url()
    if p.page > 1:
        url += f"?page={p.page}"
    return redirect(f"{url}#post-{p.pk}")


@login_required
@require_http_methods(["GET", "POST"])
def topic_new(request):
    categories = Category.objects.all()
    allowed = [c.pk for c in categories if permissions.can_start_topic(request.user, c)]
    categories = categories.filter(pk__in=allowed)
    show_source = request.user.has_role("editor")
    if request.method == "GET":
        draft = get_draft(request.user, None)
        initial = {"submit_token": token_hex(), "category": request.GET.get("category"),
                   "body": draft.body if draft else ""}
        form = TopicForm(initial=initial, categories=categories, show_source=show_source)
        return render(request, "forum/topic_new.html", {"form": form})
    form = TopicForm(request.POST, categories=categories, show_source=show_source)
    if not form.is_valid():
        return render(request, "forum/topic_new.html", {"form": form}, status=400)
    data = form.cleaned_data
    try:
        check_rate("post", f"user:{request.user.pk}")
        new = actions.start_topic(
            author=request.user, category=data["category"], title=data["title"],
            body=data["body"], source_name=data.get("source_name", ""),
            source_url=data.get("source_url", ""), source_date=data.get("source_date"),
            submit_token=data["submit_token"] or None,
        )
    except Invalid as error:
        form.add_error(error.field if error.field in form.fields else None, error.message)
        return render(request, "forum/topic_new.html", {"form": form}, status=400)
    return see_other(new.get_absolute_url())

