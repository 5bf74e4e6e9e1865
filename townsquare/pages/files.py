"""Stored files (post images, avatars) served from local storage or a bucket: a post's image
is missing for a reader who may not see the post (forum's get_file_audience)."""

import mimetypes

from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import FileSystemStorage, default_storage
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.views.decorators.http import require_safe

from townsquare.core.images import IMMUTABLE
from townsquare.forum.permissions import GUEST
from townsquare.forum.queries import get_file_audience


@require_safe
def media(request, path: str):
    """A stored file: streamed from local storage, or a redirect to the bucket's URL."""
    if ".." in path.split("/") or path.startswith("/") or "\\" in path or "\x00" in path:
        raise Http404("No such file.")
    audience = get_file_audience(request.user, path)
    if audience is None:  # an image of a post the reader may not see
        raise Http404("No such file.")
    if not isinstance(default_storage, FileSystemStorage):
        return HttpResponseRedirect(default_storage.url(path))
    try:
        full = default_storage.path(path)
        handle = open(full, "rb")  # noqa: SIM115 - FileResponse closes it
    except (SuspiciousFileOperation, OSError, ValueError):
        raise Http404("No such file.") from None
    content_type = mimetypes.guess_type(full)[0] or "application/octet-stream"
    response = FileResponse(handle, content_type=content_type)
    # Upload and avatar names carry their content's hash: a name never shows different bytes.
    # Shared caches keep only what anyone may fetch.
    if audience > GUEST:
        response["Cache-Control"] = "private, max-age=3600"
    else:
        response["Cache-Control"] = (IMMUTABLE if path.startswith(("uploads/", "avatars/"))
                                     else "public, max-age=3600")
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
