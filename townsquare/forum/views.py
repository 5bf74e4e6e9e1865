from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from townsquare.core.context_processors import flash, user_nav
from townsquare.core.errors import Invalid
from townsquare.core.http import see_other
from townsquare.core.inputs import PAGE_DIGITS, id_param, whole_number
from townsquare.core.links import url_for
from townsquare.core.markup import quote_block
from townsquare.core.pagecache import Fill, cached_guest_page, guest_page, is_guest
from townsquare.core.pagination import page_count, page_links, parse_page
from townsquare.core.randomness import token_hex
from townsquare.core.ratelimit import check_rate
from townsquare.core.shell import cached_shell, hole, holes
from townsquare.drafts.queries import get_draft
from townsquare.live.actions import touch_presence
from townsquare.live.queries import browsing_html
from townsquare.notifications.queries import is_following_category, watch_html

from . import actions, actions_reading, permissions, queries
from .forms import ReplyForm, TopicForm
from .models import Category
from .rendering import render_page, render_posts
from .unread import with_unread_marks
from .viewcounts import count_view


@require_safe
def home(request):
    stamp = "{}:{}:{}".format(*queries.get_forum_stamp())
    key = f"page:home:{stamp}" if is_guest(request) else None
    # The querysets are lazy: a member's view whose content fragment is cached never runs them.
    return guest_page(request, key, lambda: with_unread_marks(request, render(
        request, "forum/home.html", {
            "stamp": stamp,
            "reader_level": permissions.reader_level(request.user),
            "categories": queries.list_categories(request.user),
            "latest": queries.list_latest_topics(request.user),
            "unread_slots": request.user.is_authenticated,
        })))


@require_safe
def category(request, category_id: int, slug: str):
    stamp = queries.get_category_stamp(category_id) if is_guest(request) else None
    key = None
    if stamp and stamp[0] == slug and not stamp[3] and (
            page := _page_number(request, stamp[1], settings.TOPICS_PER_PAGE)):
        key = f"page:category:{category_id}:v{stamp[2]}:p{page}"
    if hit := cached_guest_page(request, key):
        return hit
    cat = queries.get_category(category_id, request.user)
    if slug != cat.slug:
        return redirect(cat.get_absolute_url(), permanent=True)
    last_page = page_count(cat.topic_count, settings.TOPICS_PER_PAGE)
    page = parse_page(request, last_page)
    return guest_page(request, key, lambda: with_unread_marks(request, render(
        request, "forum/category.html", {
            "category": cat,
            "topics": queries.list_category_topics(cat, page),
            "page": page,
            "last_page": last_page,
            "page_links": page_links(page, last_page),
            "can_start": permissions.can_start_topic(request.user, cat),
            "following": request.user.is_authenticated
            and is_following_category(request.user, cat),
            "unread_slots": request.user.is_authenticated,
        })))


@login_required
@require_POST
def category_mark_read(request, category_id: int):
    cat = queries.get_category(category_id, request.user)
    actions_reading.mark_category_read(member=request.user, category=cat)
    messages.success(request, f"Every topic in {cat.title} is marked read.")
    return see_other(cat.get_absolute_url())


@require_safe
def topic(request, topic_id: int, slug: str):
    stamp = queries.get_topic_stamp(topic_id)
    key = None
    if stamp and stamp[0] == slug and not stamp[1] and not stamp[4] and is_guest(request) and (
            page := _page_number(request, stamp[2], settings.POSTS_PER_PAGE)):
        key = f"page:topic:{topic_id}:v{stamp[3]}:p{page}"
    fill = _guest_pieces(topic_id)
    if hit := cached_guest_page(request, key, fill):
        count_view(topic_id)
        return hit
    t = queries.get_topic(topic_id, request.user, version=stamp[3] if stamp else None)
    if slug != t.slug:
        query = f"?{request.GET.urlencode()}" if request.GET else ""
        return redirect(t.get_absolute_url() + query, permanent=True)
    if landing := _first_unread_url(request, t):
        return redirect(landing)
    page = parse_page(request, t.page_count)
    touch_presence(member=request.user, topic=t)
    if request.user.is_authenticated:
        _seen_notifications(request.user, t, page)
        shown = min(page * settings.POSTS_PER_PAGE, t.post_count)
        actions_reading.record_topic_read(member=request.user, topic=t, position=shown)
    count_view(t.pk)
    if request.user.is_authenticated and not request.htmx:
        return HttpResponse(render_member_topic(request, t, page))
    return guest_page(request, key, lambda: render(request, "forum/topic.html",
                                                   topic_context(request, t, page)), fill)


def _guest_pieces(topic_id: int) -> Fill:
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


def _seen_notifications(member, t, page: int) -> None:
    """Notifications about posts on this page are read now (free when there are none: the
    member's unread topics are cached)."""
    from townsquare.notifications.actions import mark_seen_on_page
    from townsquare.notifications.queries import bell_state

    if t.pk in bell_state(member)["topics"]:
        per = settings.POSTS_PER_PAGE
        mark_seen_on_page(member=member, topic_id=t.pk, first=(page - 1) * per + 1,
                          last=page * per)


def _page_number(request, items: int, per_page: int) -> int | None:
    """The page asked for when it is a plain number in range (else the slow path decides)."""
    page = whole_number(request.GET.get("page", "1"), digits=PAGE_DIGITS)
    if len(request.GET) > 1 or page is None:
        return None
    return page if 1 <= page <= page_count(items, per_page) else None


def topic_context(request, t, page: int) -> dict:
    can_reply = permissions.can_reply(request.user, t)
    draft = get_draft(request.user, t) if can_reply else None
    return {
        "topic": t,
        "category": t.category,
        "page": page,
        "page_links": page_links(page, t.page_count),
        "posts_html": render_page(request, t, page, can_reply=can_reply,
                                  collected=_collected(draft)),
        "browsing": hole("browsing"),
        "can_reply": can_reply,
        "stream_url": stream_url(t),
        "reply_form": new_reply_form(page=page),
        "reply_body": draft.body if draft else "",
        "quotes_note": quotes_note(t, draft),
    }


def stream_url(t) -> str:
    """Where the topic's live events come from ("" when the site runs no stream)."""
    base = settings.LIVE_STREAM_URL
    return f"{base}/live/t/{t.pk}/" if base else ""


def _collected(draft) -> frozenset[int]:
    return frozenset(draft.quote_ids) if draft else frozenset()


def quotes_note(t, draft) -> SafeString:
    """"Insert 3 quotes" in the reply form, when the member collected some."""
    count = len(draft.quote_ids) if draft else 0
    if not count:
        return mark_safe("")
    url = f"{url_for('topic_reply', t.pk)}?quotes=collected"
    return format_html(
        '<p class="quotes-note">You collected {} post{} to quote. <a href="{}#reply-area" '
        'hx-get="{}" hx-target="#reply-area" hx-push-url="false">Insert {}</a></p>',
        count, "" if count == 1 else "s", url, url, "it" if count == 1 else "them")


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
        "posts_html": render_page(request, t, page, can_reply=can_reply,
                                  collected=_collected(draft)),
        "browsing": browsing_html(t.pk),
        "user_nav": user_nav(request),
        "flash": flash(request),
        "submit_token": token_hex(),
        "reply_body": escape(draft.body) if draft else "",
        "quotes_note": quotes_note(t, draft),
        "watch": watch_html(request, t.pk),
    })


def new_reply_form(*, page: int, body: str = "") -> ReplyForm:
    return ReplyForm(initial={"body": body, "submit_token": token_hex(), "on_page": page})


@require_safe
def post(request, post_id: int):
    p = queries.get_post(post_id, request.user)
    url = p.topic.get_absolute_url()
    if p.page > 1:
        url += f"?page={p.page}"
    return redirect(f"{url}#post-{p.pk}")


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
        "posts_html": render_posts(request, t, [new], my_reactions={}, can_reply=True),
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

