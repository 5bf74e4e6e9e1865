"""Posts link the uploads they show; uploads no post uses are pruned, files and all."""

import os
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.utils import timezone

from townsquare.core.errors import Invalid
from townsquare.core.markup import quote_block
from townsquare.drafts.actions import save_draft
from townsquare.forum.actions import edit_post, post_reply, start_topic
from townsquare.uploads import actions
from townsquare.uploads.actions import (
    attach_uploads,
    delete_orphan_uploads,
    delete_stray_files,
    referenced_files,
    store_image,
)
from townsquare.uploads.models import Upload
from townsquare.uploads.queries import image_sizes
from townsquare.uploads.tasks import prune_uploads

pytestmark = pytest.mark.django_db


@pytest.fixture
def upload_for(image_file):
    """A stored upload of a distinct image for `owner` (distinct by its size)."""
    sizes = iter(range(20, 400))

    def make(owner):
        size = next(sizes)
        return store_image(owner=owner, file=image_file(size=(size, 30)))

    return make


def age(*uploads, days=2):
    Upload.objects.filter(pk__in=[u.pk for u in uploads]).update(
        created=timezone.now() - timedelta(days=days))


def test_referenced_files_are_this_sites_uploads_in_order_without_repeats():
    body = ("![a](/media/uploads/2026/11/b.webp) [link](/media/uploads/2026/11/a.webp) "
            "![again](/media/uploads/2026/11/b.webp) ![x](https://elsewhere.example/"
            "media/uploads/c.webp)? ![s](/static/img/logo.png)")
    assert referenced_files(body) == ["uploads/2026/11/b.webp", "uploads/2026/11/a.webp"]


def test_a_post_is_linked_to_the_images_it_shows_and_sized(make_member, make_topic, upload_for):
    member = make_member()
    first, second = upload_for(member), upload_for(member)
    post = post_reply(author=member, topic=make_topic(),
                      body=f"![a]({first.url}) and ![b]({second.url})")
    assert set(post.uploads.all()) == {first, second}
    assert f'src="{first.url}" width="{first.width}" height="30"' in post.html


def test_an_edit_unlinks_the_images_it_removes(make_member, make_topic, upload_for):
    member = make_member()
    first, second = upload_for(member), upload_for(member)
    post = post_reply(author=member, topic=make_topic(),
                      body=f"![a]({first.url}) and ![b]({second.url})")
    edit_post(editor=member, post=post, body=f"Only ![b]({second.url}) now")
    assert list(post.uploads.all()) == [second]
    first.refresh_from_db()
    assert first.post is None


def test_attach_returns_the_posts_uploads_in_the_order_shown(make_member, make_topic,
                                                              upload_for):
    member = make_member()
    first, second = upload_for(member), upload_for(member)
    post = post_reply(author=member, topic=make_topic(), body="Text first.")
    shown = attach_uploads(owner=member, post=post,
                           body=f"![b]({second.url}) ![a]({first.url})")
    assert shown == [second, first] and all(u.post == post for u in shown)


def test_attaching_needs_a_saved_post(make_member):
    from townsquare.forum.models import Post

    with pytest.raises(ValueError):
        attach_uploads(owner=make_member(), post=Post(), body="")


def test_a_post_cannot_show_someone_elses_upload(make_member, make_topic, upload_for):
    owner, other = make_member(), make_member()
    theirs = upload_for(owner)
    topic = make_topic()
    before = topic.posts.count()
    with pytest.raises(Invalid, match="only show images its author uploaded") as refused:
        post_reply(author=other, topic=topic, body=f"![x]({theirs.url})")
    assert refused.value.field == "body"
    assert topic.posts.count() == before
    theirs.refresh_from_db()
    assert theirs.post is None


def test_nor_someone_elses_image_taken_from_a_post_it_does_not_quote(make_member, make_topic,
                                                                    upload_for):
    owner, other = make_member(), make_member()
    theirs = upload_for(owner)
    topic = make_topic(author=owner, body=f"![x]({theirs.url})")
    with pytest.raises(Invalid, match="only show images its author uploaded"):
        post_reply(author=other, topic=topic, body=f"Mine now: ![x]({theirs.url})")


def test_quoting_a_post_shows_its_images_without_taking_them(make_member, make_topic,
                                                             upload_for):
    owner, other = make_member(), make_member()
    theirs = upload_for(owner)
    topic = make_topic(author=owner, body=f"Look: ![x]({theirs.url})")
    opening = topic.posts.get(position=1)
    reply = post_reply(author=other, topic=topic,
                       body=quote_block(opening.pk, opening.body) + "Lovely.")
    assert f'src="{theirs.url}"' in reply.html
    theirs.refresh_from_db()
    assert theirs.post == opening and not reply.uploads.exists()


def test_a_moderators_edit_keeps_the_authors_images(make_member, make_topic, upload_for):
    author, moderator = make_member(), make_member(role="moderator")
    image = upload_for(author)
    post = post_reply(author=author, topic=make_topic(), body=f"![x]({image.url})")
    edit_post(editor=moderator, post=post, body=f"![x]({image.url})\n\nTidied by a moderator.")
    image.refresh_from_db()
    assert image.post == post


def test_an_upload_belongs_to_one_post(make_member, make_topic, upload_for):
    member = make_member()
    image = upload_for(member)
    topic = make_topic(author=member, body=f"![x]({image.url})")
    with pytest.raises(Invalid, match="already in another post. Upload it again"):
        post_reply(author=member, topic=topic, body=f"Again: ![x]({image.url})")
    image.refresh_from_db()
    assert image.post == topic.posts.get(position=1)


def test_too_many_images_in_one_post_are_refused(make_member, make_topic, upload_for,
                                                 settings):
    settings.UPLOAD_MAX_PER_POST = 2
    member = make_member()
    uploads = [upload_for(member) for _ in range(3)]
    topic = make_topic()
    two = post_reply(author=member, topic=topic,
                     body=" ".join(f"![i]({u.url})" for u in uploads[:2]))
    assert two.uploads.count() == 2
    before = topic.posts.count()
    with pytest.raises(Invalid, match=r"at most 2 images \(this one has 3\)"):
        post_reply(author=member, topic=topic, body=" ".join(f"![i]({u.url})" for u in uploads))
    assert topic.posts.count() == before
    uploads[2].refresh_from_db()
    assert uploads[2].post is None


def test_image_sizes_come_from_one_query(make_member, upload_for, django_assert_num_queries):
    stored = upload_for(make_member())
    with django_assert_num_queries(1):
        sizes = image_sizes([stored.url, "/media/uploads/none.webp", "/static/x.png",
                             "https://elsewhere.example/a.png"])
    assert sizes == {stored.url: (stored.width, 30)}
    with django_assert_num_queries(0):
        assert image_sizes(["/static/x.png"]) == {}


def test_topic_lists_show_the_opening_posts_first_image_small(client, make_member,
                                                              make_category, upload_for):
    member, category = make_member(), make_category()
    first, second = upload_for(member), upload_for(member)
    topic = start_topic(author=member, category=category, title="Marsh in pictures",
                        body=f"![b]({second.url})\n\n![a]({first.url})")
    assert topic.thumbnail == second.thumbnail_url
    page = client.get(category.get_absolute_url()).content.decode()
    assert f'<img class="topic-thumb" src="{second.thumbnail_url}" alt=""' in page
    edit_post(editor=member, post=topic.posts.get(position=1), body="No pictures now")
    assert 'class="topic-thumb"' not in client.get(category.get_absolute_url()).content.decode()


def test_unused_uploads_are_pruned_with_their_files(make_member, make_topic, upload_for,
                                                    stored_files):
    member = make_member()
    used, unused, recent = upload_for(member), upload_for(member), upload_for(member)
    post_reply(author=member, topic=make_topic(), body=f"![u]({used.url})")
    age(used, unused)
    assert delete_orphan_uploads(older_than=timedelta(hours=24)) == 1
    assert not default_storage.exists(unused.file)
    assert not default_storage.exists(unused.thumbnail)
    assert stored_files() == sorted([used.file, used.thumbnail, recent.file, recent.thumbnail])
    assert set(Upload.objects.all()) == {used, recent}
    assert delete_orphan_uploads(older_than=timedelta(hours=24)) == 0  # safe to run twice


def test_images_an_edit_removed_are_pruned_later(make_member, make_topic, upload_for):
    member = make_member()
    image = upload_for(member)
    post = post_reply(author=member, topic=make_topic(), body=f"![u]({image.url})")
    edit_post(editor=member, post=post, body="Changed my mind about the picture.")
    age(image)
    assert delete_orphan_uploads(older_than=timedelta(hours=24)) == 1
    assert not Upload.objects.exists() and not default_storage.exists(image.file)


def test_an_image_in_an_unsent_draft_is_kept(make_member, make_topic, upload_for):
    member, other = make_member(), make_member()
    drafted, lonely = upload_for(member), upload_for(member)
    topic = make_topic()
    save_draft(member=member, topic=topic, body=f"Still writing… ![d]({drafted.url})")
    save_draft(member=other, topic=topic, body=f"Not theirs: ![l]({lonely.url})")
    age(drafted, lonely)
    assert delete_orphan_uploads(older_than=timedelta(hours=24)) == 1
    assert list(Upload.objects.all()) == [drafted] and default_storage.exists(drafted.file)


def test_an_upload_a_post_takes_while_pruning_is_kept(make_member, make_topic, upload_for,
                                                      monkeypatch):
    member = make_member()
    image = upload_for(member)
    age(image)
    post = post_reply(author=member, topic=make_topic(), body="Adding a picture soon.")
    drafts_check = actions._in_drafts

    def post_arrives(uploads):
        # Between the prune listing the orphans and deleting them, a post uses one.
        Upload.objects.filter(pk=image.pk).update(post=post)
        return drafts_check(uploads)

    monkeypatch.setattr(actions, "HOLDERS", [post_arrives, *actions.HOLDERS[1:]])
    assert delete_orphan_uploads(older_than=timedelta(hours=24)) == 0
    assert Upload.objects.filter(pk=image.pk).exists() and default_storage.exists(image.file)


def stray(name: str, *, days_old: float) -> str:
    saved = default_storage.save(name, ContentFile(b"left over"))
    when = (timezone.now() - timedelta(days=days_old)).timestamp()
    os.utime(default_storage.path(saved), (when, when))
    return saved


def test_stray_files_without_a_row_are_deleted_once_old(make_member, upload_for, stored_files):
    kept = upload_for(make_member())
    age(kept, days=5)
    folder = kept.file.rsplit("/", 1)[0]
    for name in (kept.file, kept.thumbnail):  # files with a row stay, however old
        when = (timezone.now() - timedelta(days=5)).timestamp()
        os.utime(default_storage.path(name), (when, when))
    old = stray(f"{folder}/{'a' * 32}-00000000.webp", days_old=2)
    fresh = stray(f"{folder}/{'b' * 32}-00000000.webp", days_old=0)
    assert delete_stray_files(older_than=timedelta(hours=24)) == 1
    assert stored_files() == sorted([kept.file, kept.thumbnail, fresh])
    assert old not in stored_files()
    assert delete_stray_files(older_than=timedelta(hours=24)) == 0


def test_the_prune_task_and_command_remove_unused_uploads(make_member, upload_for):
    member = make_member()
    first, second = upload_for(member), upload_for(member)
    age(first, second)
    assert prune_uploads.call(hours=24) == {"uploads": 2, "stray_files": 0}
    assert not default_storage.exists(first.file) and not Upload.objects.exists()
    third = upload_for(member)
    age(third, days=3)
    out = _call("prune_uploads", "--hours", "48")
    assert out == "Deleted 1 unused upload and 0 stray files.\n"
    assert _call("prune_uploads") == "Deleted 0 unused uploads and 0 stray files.\n"
    with pytest.raises(CommandError, match="at least 1"):
        call_command("prune_uploads", "--hours", "0")


def _call(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_an_upload_deleted_in_the_admin_takes_its_files_with_it(client, make_member,
                                                                upload_for, stored_files):
    admin_user = make_member(is_staff=True, is_superuser=True)
    one, two, kept = upload_for(admin_user), upload_for(admin_user), upload_for(admin_user)
    client.force_login(admin_user)
    response = client.post(f"/admin/uploads/upload/{one.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    response = client.post("/admin/uploads/upload/", {
        "action": "delete_selected", "_selected_action": [two.pk], "post": "yes"})
    assert response.status_code == 302
    assert list(Upload.objects.all()) == [kept]
    assert stored_files() == sorted([kept.file, kept.thumbnail])
    assert client.get("/admin/uploads/upload/add/").status_code == 403
    assert client.get(f"/admin/uploads/upload/{kept.pk}/change/").status_code == 200
