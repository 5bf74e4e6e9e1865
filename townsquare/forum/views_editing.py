"""Editing, deleting and restoring posts, and a post's edit history."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from townsquare.core.errors import Conflict, Forbidden, Invalid, NotFound
from townsquare.core.http import see_other
from townsquare.core.ratelimit import check_rate

from . import actions, permissions, queries
from .forms import PostEditForm
from .history import word_diff


@login_required
@require_http_methods(["GET", "POST"])
def post_edit(request, post_id: int):
    post = queries.get_post(post_id, request.user)
    if not permissions.can_edit_post(request.user, post, timezone.now()):
        raise Forbidden(actions._edit_refusal(request.user, post))
    if request.method == "GET":
        form = PostEditForm(initial={"body": post.body, "version": post.version})
        return render(request, "forum/post_edit.html", {"post": post, "form": form})
    form = PostEditForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            check_rate("post", f"user:{request.user.pk}")
            edited = actions.edit_post(editor=request.user, post=post,
                                       body=form.cleaned_data["body"],
                                       reason=form.cleaned_data["reason"],
                                       version=form.cleaned_data["version"])
            return see_other(edited.get_absolute_url())
        except Conflict as error:
            post.refresh_from_db()
            form = PostEditForm({"body": post.body, "version": post.version,
                                 "reason": form.cleaned_data["reason"]})
            form.is_valid()
            form.add_error(None, error.message)
            status = 409
        except Invalid as error:
            form.add_error("body" if error.field == "body" else None, error.message)
    return render(request, "forum/post_edit.html", {"post": post, "form": form}, status=status)


@require_safe
def post_history(request, post_id: int):
    post = queries.get_post(post_id, request.user)
    if not permissions.can_view_history(request.user, post):
        raise NotFound("That post does not exist.")
    revisions = list(post.revisions.select_related("editor"))
    changes = [
        {"revision": rev, "diff": word_diff(revisions[i - 1].body, rev.body) if i else None}
        for i, rev in enumerate(revisions)
    ]
    changes.reverse()  # newest first
    return render(request, "forum/post_history.html", {"post": post, "changes": changes})


@login_required
@require_POST
def post_delete(request, post_id: int):
    post = queries.get_post(post_id, request.user)
    deleted = actions.delete_post(member=request.user, post=post)
    return see_other(deleted.get_absolute_url())


@login_required
@require_POST
def post_restore(request, post_id: int):
    post = queries.get_post(post_id, request.user)
    restored = actions.restore_post(member=request.user, post=post)
    return see_other(restored.get_absolute_url())
