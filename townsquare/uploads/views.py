from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST, require_safe

from townsquare.core.errors import ActionError, Forbidden, Invalid, TooLarge
from townsquare.core.http import refusal
from townsquare.core.images import form_too_large, human_size, too_large_message

from . import actions


@csrf_exempt  # checked by _upload below, once the body is known to be a sensible size
@require_POST
def upload(request):
    """Take one image: JSON for the editor's script, a page for the plain form."""
    if form_too_large(request):
        return _refusal(request, TooLarge(too_large_message()))
    return _upload(request)


@csrf_protect
def _upload(request):
    try:
        if not request.user.is_authenticated:
            raise Forbidden("Sign in to upload images.")
        if "image" not in request.FILES:
            raise Invalid("Choose an image file to upload.")
        stored = actions.store_image(owner=request.user, file=request.FILES["image"])
    except ActionError as error:
        return _refusal(request, error)
    result = {"id": stored.pk, "url": stored.url, "thumbnail_url": stored.thumbnail_url,
              "width": stored.width, "height": stored.height,
              "markdown": f"![{_alt_text(request.POST.get('alt', ''))}]({stored.url})"}
    if _wants_page(request):
        return _page(request, status=201, upload=result)
    return JsonResponse(result, status=201)


def _wants_page(request) -> bool:
    """A browser's plain form asks for HTML; the editor's script (or any other client) gets
    JSON."""
    return request.get_preferred_type(["application/json", "text/html"]) == "text/html"


def _refusal(request, error: ActionError):
    if _wants_page(request):
        return refusal(_page(request, status=error.status, error=error.message), error)
    return refusal(JsonResponse({"error": error.message}, status=error.status), error)


def _page(request, *, status: int = 200, **context):
    context["max_size"] = human_size(settings.UPLOAD_MAX_BYTES)
    return render(request, "uploads/upload_new.html", context, status=status)


def _alt_text(alt: str) -> str:
    """The description as Markdown image text: no brackets or backslashes to break out of it."""
    alt = " ".join(alt.translate({ord(c): " " for c in "[]()\\"}).split())
    return alt[:120].strip() or "image"


@require_safe
def upload_new(request):
    if not request.user.is_authenticated:
        raise Forbidden("Sign in to upload images.")
    return _page(request)
