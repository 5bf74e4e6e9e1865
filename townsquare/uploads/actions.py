"""Taking in images, linking them to the posts that show them, and pruning unused ones.

An upload is decoded before anything is kept and written again as clean WebP (core/images.py,
then images.py for its display size and thumbnail).
Files go through Django's storage API (local files, or a bucket by configuration) under names
that start with their content's hash, so a name never points at different bytes. A file is
saved before its row; if anything fails after that, the files are deleted again, and the
prune deletes an unused upload's files together with its row.
"""

import contextlib
import hashlib
import re
import secrets
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from townsquare.core.errors import Invalid, TooLarge
from townsquare.core.images import decode, read_limited, too_large_message
from townsquare.core.ratelimit import check_rate
from townsquare.drafts.models import Draft

from .images import Encoded, reencode
from .models import Upload


def store_image(*, owner, file) -> Upload:
    """Verify and re-encode an uploaded image for `owner`; refuse with a reason.

    The same image sent again before a post uses it (a second click) is the same upload.
    """
    check_rate("upload", f"user:{owner.pk}")
    return keep_image(owner=owner, data=read_limited(file))


def keep_image(*, owner, data: bytes) -> Upload:
    """Verify and re-encode image bytes for `owner` (no rate limit: callers apply theirs);
    refuse with Invalid or TooLarge and a reason."""
    if len(data) > settings.UPLOAD_MAX_BYTES:
        raise TooLarge(too_large_message(len(data)))
    encoded = reencode(decode(data))
    digest = hashlib.sha256(encoded.display).hexdigest()
    unused = Upload.objects.filter(owner=owner, sha256=digest, post__isnull=True).first()
    return unused or _save(owner, encoded, digest)


def _save(owner, encoded: Encoded, digest: str) -> Upload:
    # The hash names the content; the random part keeps a second copy (for a second post)
    # apart from the first, so each upload belongs to one post.
    stem = f"{timezone.now():uploads/%Y/%m}/{digest[:32]}-{secrets.token_hex(4)}"
    saved = []
    try:
        saved.append(default_storage.save(f"{stem}.webp", ContentFile(encoded.display)))
        saved.append(default_storage.save(f"{stem}-thumb.webp",
                                          ContentFile(encoded.thumbnail)))
        with transaction.atomic():
            return Upload.objects.create(
                owner=owner, file=saved[0], thumbnail=saved[1], width=encoded.width,
                height=encoded.height, bytes=len(encoded.display),
                format=encoded.source_format, sha256=digest)
    except BaseException:
        for name in saved:  # nothing stored outlives a failed upload
            with contextlib.suppress(Exception):
                default_storage.delete(name)
        raise


def referenced_files(body: str) -> list[str]:
    """Storage names of this site's uploads that a Markdown body points at, in order."""
    # Not preceded by a host or path: another site's /media/uploads/... is not ours.
    pattern = r"(?<![\w.:/%-])" + re.escape(settings.MEDIA_URL) + r"(uploads/[\w/.-]+)"
    return list(dict.fromkeys(re.findall(pattern, body)))


def attach_uploads(*, owner, post, body: str, quoted: Iterable[int] = ()) -> list[Upload]:
    """Link the uploads `body` shows to `post`, inside the caller's transaction; return them.

    `owner` is the post's author. Refuses more than UPLOAD_MAX_PER_POST images, and images
    someone else uploaded unless the post already has them (a moderator's edit keeps the
    author's images) or they come with a quote of the post they belong to (`quoted`: the
    posts the body quotes with attribution, as render_body found them; a quote of a post the
    author may not see counts as none). An upload belongs to one post: one already in
    another post is refused unless that post is quoted. Uploads
    an edit no longer shows are unlinked, to be pruned later.
    """
    if post.pk is None:
        raise ValueError("attach_uploads needs a saved post")
    names = referenced_files(body)
    if len(names) > settings.UPLOAD_MAX_PER_POST:
        raise Invalid(f"A post can show at most {settings.UPLOAD_MAX_PER_POST} images "
                      f"(this one has {len(names)}).", field="body")
    quoted = set(quoted)
    linked = []
    for upload in Upload.objects.filter(file__in=names) if names else []:
        if upload.post_id == post.pk or (upload.owner_id == owner.pk and upload.post_id is None):
            linked.append(upload)
        elif upload.post_id in quoted:
            continue  # shown as part of the quote; it stays with the post it belongs to
        elif upload.owner_id == owner.pk:
            raise Invalid("That image is already in another post. Upload it again to use "
                          "it here too.", field="body")
        else:
            raise Invalid("A post can only show images its author uploaded.", field="body")
    keep = [upload.pk for upload in linked]
    Upload.objects.filter(post=post).exclude(pk__in=keep).update(post=None)
    Upload.objects.filter(pk__in=keep, post__isnull=True).update(post=post)
    for upload in linked:
        upload.post = post
    return sorted(linked, key=lambda upload: names.index(upload.file))


def delete_orphan_uploads(*, older_than: timedelta) -> int:
    """Delete uploads (rows and files) no post has shown for `older_than`; return how many.

    Uploads still in their owner's unsent draft are kept. Safe to run twice, and alongside
    posting: each upload is checked again under its row lock before it goes.
    """
    cutoff = timezone.now() - older_than
    orphans = list(Upload.objects.filter(post__isnull=True, created__lt=cutoff)
                   .only("pk", "owner_id", "file"))
    held = set().union(*(holder(orphans) for holder in HOLDERS)) if orphans else set()
    return sum(_delete_if_unused(upload.pk) for upload in orphans if upload.pk not in held)


def _in_drafts(uploads: list[Upload]) -> set[int]:
    bodies = defaultdict(list)
    rows = Draft.objects.filter(member_id__in={u.owner_id for u in uploads}).exclude(body="")
    for member_id, body in rows.values_list("member_id", "body"):
        bodies[member_id].append(body)
    return {u.pk for u in uploads if any(u.file in body for body in bodies[u.owner_id])}


# Who else may still need an upload no post shows: each takes the candidates and returns the
# ids it holds (drafts here; other apps add theirs when they load, e.g. the news desk's queue).
HOLDERS = [_in_drafts]


def _delete_if_unused(pk: int) -> bool:
    with transaction.atomic():
        upload = Upload.objects.select_for_update().filter(pk=pk, post__isnull=True).first()
        if upload is None:
            return False
        # Files first: if deleting one fails, the row stays and the next prune tries again.
        for name in (upload.file, upload.thumbnail):
            default_storage.delete(name)
        upload.delete()
    return True


def delete_upload(*, upload: Upload) -> None:
    """Remove an upload and its files, used by a post or not (an admin taking an image
    down). A post that showed it keeps its text; the image is gone from it."""
    with transaction.atomic():
        Upload.objects.select_for_update().filter(pk=upload.pk).delete()
        for name in (upload.file, upload.thumbnail):
            default_storage.delete(name)


def delete_stray_files(*, older_than: timedelta) -> int:
    """Delete files under recent `uploads/` folders that no upload row names; return how many.

    Only a process killed between saving an upload's files and writing its row leaves such
    files, so the folders of the last three months are enough when the prune runs daily.
    """
    cutoff = timezone.now() - older_than
    count = 0
    for folder in _recent_folders(cutoff.date() - timedelta(days=62)):
        try:
            names = [f"{folder}/{name}" for name in default_storage.listdir(folder)[1]]
        except FileNotFoundError:
            continue
        known = set()
        for row in Upload.objects.filter(file__startswith=f"{folder}/").values_list(
                "file", "thumbnail"):
            known.update(row)
        for name in names:
            if name not in known and default_storage.get_modified_time(name) < cutoff:
                default_storage.delete(name)
                count += 1
    return count


def _recent_folders(since: date) -> list[str]:
    today = timezone.now().date()
    year, month, folders = since.year, since.month, []
    while (year, month) <= (today.year, today.month):
        folders.append(f"uploads/{year:04d}/{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return folders
