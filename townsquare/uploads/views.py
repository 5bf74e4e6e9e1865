import mimetypes

from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import FileSystemStorage, default_storage
from django.http import FileResponse, Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST, require_safe

from townsquare.core.errors import ActionError, Forbidden

from . import actions

IMMUTABLE = "public, max-age=31536000, immutable"


@require_POST
def upload(request):
    """Take one image; JSON for the editor's script, a page for the plain form."""
    wants_json = "application/json" in request.headers.get("Accept", "")
    try:
        if not request.user.is_authenticated:
            raise Forbidden("Sign in to upload images.")
        file = request.FILES.get("image")
        if file is None:
            raise ActionError("Choose an image file to upload.")
        stored = actions.store_image(owner=request.user, file=file)
    except ActionError as error:
        if wants_json:
            return JsonResponse({"error": error.message}, status=error.status)
        return render(request, "uploads/upload_new.html", {"error": error.message},
                      status=error.status)
    alt = request.POST.get("alt", "").translate({ord(c): " " for c in "[]()\\"})
    alt = " ".join(alt.split())[:120] or "image"
    markdown = f"![{alt}]({stored.url})"
    if wants_json:
        return JsonResponse({"id": stored.pk, "url": stored.url,
                             "thumbnail_url": stored.thumbnail_url, "width": stored.width,
                             "height": stored.height, "markdown": markdown}, status=201)
    return render(request, "uploads/upload_new.html", {"upload": stored, "markdown": markdown},
                  status=201)


@require_safe
def upload_new(request):
    if not request.user.is_authenticated:
        raise Forbidden("Sign in to upload images.")
    return render(request, "uploads/upload_new.html", {})


@require_safe
def media(request, path: str):
    """A stored file: streamed from local storage, or a redirect to the bucket's URL."""
    if not isinstance(default_storage, FileSystemStorage):
        return HttpResponseRedirect(default_storage.url(path))
    try:
        full = default_storage.path(path)
        handle = open(full, "rb")  # noqa: SIM115 - FileResponse closes it
    except (SuspiciousFileOperation, OSError, ValueError):
        raise Http404("No such file.") from None
    content_type = mimetypes.guess_type(full)[0] or "application/octet-stream"
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = IMMUTABLE if path.startswith("uploads/") else "public, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
