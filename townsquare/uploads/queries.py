from collections.abc import Iterable

from django.conf import settings
from django.db.models import Q

from townsquare.forum import permissions

from .models import Upload


def image_sizes(srcs: Iterable[str]) -> dict[str, tuple[int, int]]:
    """(width, height) of each of this site's uploaded images among `srcs`, in one query."""
    prefix = settings.MEDIA_URL
    names = {src.removeprefix(prefix) for src in srcs if src.startswith(prefix)}
    if not names:
        return {}
    rows = Upload.objects.filter(file__in=names).values_list("file", "width", "height")
    return {f"{prefix}{name}": (width, height) for name, width, height in rows}


def get_file_audience(reader, name: str) -> int | None:
    """Who may fetch the stored file `name`: the audience rank of the post showing it (see
    forum.permissions), GUEST for a file no post shows (yet), or None when `reader` may not
    see that post: the file is then missing for them, like the post."""
    if not name.startswith("uploads/"):
        return permissions.GUEST
    upload = (Upload.objects.filter(Q(file=name) | Q(thumbnail=name))
              .select_related("post__topic__category").only(
                  "post__hidden", "post__topic__hidden", "post__topic__category__read_role")
              .first())
    if upload is None or upload.post is None:
        return permissions.GUEST
    if not permissions.can_see(reader, upload.post):
        return None
    return permissions.audience_rank(upload.post)
