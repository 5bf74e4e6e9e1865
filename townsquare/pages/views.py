"""The forum's reading pages: home, category, topic, and the reply that lands on a topic.

Each is kept as a shell (core/shell.py): whole for guests (core/pagecache.py), per version and
kind of reader for members, filled per view with what is the reader's own.
"""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods, require_safe

from townsquare.core.errors import Invalid
from townsquare.core.http import see_other
from townsquare.core.inputs import PAGE_DIGITS, id_param, whole_number
from townsquare.core.markup import quote_block
from townsquare.core.pagecache import cached_guest_page, guest_page, is_guest
from townsquare.core.pagination import page_count, page_links, parse_page
from townsquare.core.randomness import token_hex
from townsquare.core.ratelimit import check_rate
from townsquare.core.shell import cached_shell, filled, hole, holes
from townsquare.drafts.queries import get_draft
from townsquare.forum import actions, actions_reading, permissions, queries
from townsquare.forum.entries import page_entries
from townsquare.forum.forms import ReplyForm
from townsquare.live.queries import browsing_html
from townsquare.notifications.queries import is_following_category, topic_level
from townsquare.reactions.queries import get_member_reactions

from .actions import record_visit
from .header import flash, user_nav
from .posts import render_entries, render_posts
from .recommended import recommended_html
from .unread import unread_marks


@require_safe
def home(request):
    stamp = queries.get_forum_stamp()
    if not request.user.is_authenticated:
        return guest_page(request, f"page:home:{stamp}", lambda: render(
            request, "forum/home.html", _home_context(request)))
    level = permissions.reader_level(request.user)
    shell = cached_shell(f"shell:home:{stamp}:{level}", lambda: render_to_string(
        "forum/home.html", _home_context(request) | {"unread_slots": True}
        | holes("user_nav", "flash"), request))
    return HttpResponse(shell.fill(request, _member_values(request, shell)))


def _home_context(request) -> dict:
    return {"categories": queries.list_categories(request.user),
            "latest": queries.list_latest_topics(request.user)}


@require_safe
def category(request, category_id: int, slug: str):
    stamp = queries.get_category_stamp(category_id) if is_guest(request) else None
    key = None
    if stamp and stamp.slug == slug and stamp.public and (
            page := _page_number(request, stamp.topic_count, settings.TOPICS_PER_PAGE)):
        key = f"page:category:{category_id}:v{stamp.version}:p{page}"
    if hit := cached_guest_page(request, key):
        return hit
    cat = queries.get_category(category_id, request.user)
    if slug != cat.slug:
        return redirect(cat.get_absolute_url(), permanent=True)
    last_page = page_count(cat.topic_count, settings.TOPICS_PER_PAGE)
    page = parse_page(request, last_page)
    context = {"category": cat, "page": page, "last_page": last_page,
               "page_links": page_links(page, last_page),
               # Called by the template, so only when the page is rendered, not filled.
               "topics": lambda: queries.list_category_topics(cat, page),
               "can_start": permissions.can_start_topic(request.user, cat)}
    if not request.user.is_authenticated:
        return guest_page(request, key, lambda: render(request, "forum/category.html", context))
    level = permissions.reader_level(request.user)
    shell = cached_shell(
        f"shell:category:{cat.pk}:v{cat.version}:p{page}:{level}:{int(context['can_start'])}",
        lambda: render_to_string("forum/category.html", context | {"unread_slots": True}
                                 | holes("user_nav", "flash", "follow"), request))
    values = _member_values(request, shell)
    values["follow"] = filled(request, "notifications/category_follow.html",
                              category_id=cat.pk, following=is_following_category(
                                  request.user, cat))
    return HttpResponse(shell.fill(request, values))


def _member_values(request, shell) -> dict[str, str]:
    """What every member's page fills in: the header, a flash message, unread marks."""
    return {"user_nav": user_nav(request), "flash": flash(request),
            **unread_marks(request, shell)}


@require_safe
def topic(request, topic_id: int, slug: str):
    stamp = queries.get_topic_stamp(topic_id)
    key = None
    if stamp and stamp.slug == slug and stamp.public and is_guest(request) and (
            page := _page_number(request, stamp.post_count, settings.POSTS_PER_PAGE)):
        key = f"page:topic:{topic_id}:v{stamp.version}:p{page}"
    fill = _guest_pieces(topic_id)
    if hit := cached_guest_page(request, key, fill):
        record_visit(reader=request.user, topic_id=topic_id)
        return hit
    t = queries.get_topic(topic_id, request.user, version=stamp.version if stamp else None)
    if slug != t.slug:
        query = f"?{request.GET.urlencode()}" if request.GET else ""
        return redirect(t.get_absolute_url() + query, permanent=True)
    if landing := _first_unread_url(request, t):
        return redirect(landing)
    page = parse_page(request, t.page_count)
    record_visit(reader=request.user, topic_id=t.pk, topic=t, page=page)
    if request.user.is_authenticated and not request.htmx:
        return HttpResponse(render_member_topic(request, t, page))
    return guest_page(request, key, lambda: render(request, "forum/topic.html",
                                                   topic_context(request, t, page)), fill)


def _guest_pieces(topic_id: int):
    """What a guest's topic page, kept whole, gets afresh on every view: who is browsing."""
    return lambda: {"browsing": browsing_html(topic_id)}


def _first_unread_url(request, t) -> str | None:
    """Where a member opening a topic by its plain URL lands: the page holding their first
    unread post, at that post. None (page 1, as for guests) when they have read it all or
    never opened it, or when they asked for a page."""
    if not request.user.is_authenticated or request.htmx or "page" in request.GET:
        return None
    unread = queries.get_topic_unread(request.user, t)
    if unread is None or unread.never_read:
        return None
    return unread.url


def _page_number(request, items: int, per_page: int) -> int | None:
    """The page asked for when it is a plain number in range (else the slow path decides)."""
    page = whole_number(request.GET.get("page", "1"), digits=PAGE_DIGITS)
    if len(request.GET) > 1 or page is None:
        return None
    return page if 1 <= page <= page_count(items, per_page) else None


def posts_html(request, t, page: int, *, can_reply: bool, draft) -> str:
    """The posts of one page of a topic for this reader, with the recommended replies under
    the opening post on page 1."""
    entries = page_entries(t, page)
    mine = get_member_reactions(request.user, [e.pk for e in entries], topic_id=t.pk)
    collected = frozenset(draft.quote_ids) if draft else frozenset()

    def join(some):
        return render_entries(request, t, some, can_reply=can_reply, mine=mine,
                              collected=collected)

    recommended = recommended_html(request, t) if page == 1 and entries else ""
    if not recommended:
        return join(entries)
    return join(entries[:1]) + recommended + join(entries[1:])


def topic_context(request, t, page: int) -> dict:
    can_reply = permissions.can_reply(request.user, t)
    draft = get_draft(request.user, t) if can_reply else None
    return {
        "topic": t, "category": t.category, "page": page,
        "page_links": page_links(page, t.page_count),
        "posts_html": mark_safe(posts_html(request, t, page, can_reply=can_reply, draft=draft)),
        "browsing": hole("browsing"),
        "can_reply": can_reply,
        "stream_url": stream_url(t),
        "reply_form": new_reply_form(page=page),
        "reply_body": draft.body if draft else "",
        "quotes_note": mark_safe(quotes_note(request, t, draft)),
    }


def stream_url(t) -> str:
    """Where the topic's live events come from ("" when the site runs no stream)."""
    base = settings.LIVE_STREAM_URL
    return f"{base}/live/t/{t.pk}/" if base else ""


def quotes_note(request, t, draft) -> str:
    """"Insert 3 quotes" in the reply form, when the member collected some."""
    count = len(draft.quote_ids) if draft else 0
    if not count:
        return ""
    return filled(request, "forum/topic.html#quotes_note", topic_id=t.pk, count=count)


def render_member_topic(request, t, page: int) -> str:
    """A member's topic page: a shell cached per topic version and page, filled for them."""
    can_reply = permissions.can_reply(request.user, t)
    key = f"shell:topic:{t.pk}:v{t.version}:p{page}:r{int(can_reply)}"
    shell = cached_shell(key, lambda: render_to_string("forum/topic.html", {
        "topic": t,
        "category": t.category,
        "page": page,
        "page_links": page_links(page, t.page_count),
        "can_reply": can_reply,
        "stream_url": stream_url(t),
        "reply_form": ReplyForm(initial={"submit_token": hole("submit_token"), "on_page": page}),
        **holes("posts_html", "browsing", "user_nav", "flash", "reply_body", "quotes_note",
                "watch"),
    }, request))
    draft = get_draft(request.user, t) if can_reply else None
    return shell.fill(request, {
        "posts_html": posts_html(request, t, page, can_reply=can_reply, draft=draft),
        "browsing": browsing_html(t.pk),
        "user_nav": user_nav(request),
        "flash": flash(request),
        "submit_token": token_hex(),
        "reply_body": escape(draft.body) if draft else "",
        "quotes_note": quotes_note(request, t, draft),
        "watch": filled(request, "notifications/topic_watch.html", topic_id=t.pk,
                        level=topic_level(request.user, t.pk)),
    })


def new_reply_form(*, page: int, body: str = "") -> ReplyForm:
    return ReplyForm(initial={"body": body, "submit_token": token_hex(), "on_page": page})


@login_required
@require_http_methods(["GET", "POST"])
def topic_reply(request, topic_id: int):
    t = queries.get_topic(topic_id, request.user)
    if request.method == "GET":
        body = ""
        if request.GET.get("quote", "").strip():
            quote_id = id_param(request.GET, "quote", broken="That quote link is broken.")
            quoted = queries.get_post(quote_id, request.user)
            body = quote_block(quoted.pk, quoted.body)
        elif request.GET.get("quotes") == "collected":
            body = collected_quotes(request.user, t)
        form = new_reply_form(page=t.page_count, body=body)
        return render_reply(request, t, form)
    form = ReplyForm(request.POST)
    if not form.is_valid():
        return render_reply(request, t, form, status=400)
    try:
        check_rate("post", f"user:{request.user.pk}")
        new = actions.post_reply(author=request.user, topic=t, body=form.cleaned_data["body"],
                                 submit_token=form.cleaned_data["submit_token"] or None)
    except Invalid as error:
        form.add_error("body" if error.field == "body" else None, error.message)
        return render_reply(request, t, form, status=400)
    actions_reading.record_own_reply_read(member=request.user, post=new)
    if not request.htmx:
        return see_other(new.get_absolute_url())
    t.refresh_from_db()
    on_page = form.cleaned_data["on_page"]
    return render(request, "forum/topic_reply.html#reply_posted", {
        "topic": t, "posted": new, "appended": on_page == new.page, "can_reply": True,
        "reply_form": new_reply_form(page=on_page or new.page),
        "posts_html": render_posts(request, t, [new], can_reply=True),
    })


def collected_quotes(member, t) -> str:
    """The Markdown of every post the member collected to quote in `t`, in topic order."""
    draft = get_draft(member, t)
    ids = draft.quote_ids if draft else []
    posts = queries.list_visible_posts(member, ids)
    return "".join(quote_block(p.pk, p.body) for p in posts)


def render_reply(request, t, form, status=200):
    template = "forum/topic.html#reply_area" if request.htmx else "forum/topic_reply.html"
    return render(request, template, {"topic": t, "reply_form": form, "can_reply": True},
                  status=status)
