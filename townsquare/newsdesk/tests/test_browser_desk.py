"""In a browser: a source is polled, an editor adapts and publishes the queued story, and a
guest reads it with its attribution line. axe-core checks the desk's pages on the way."""

import re

import pytest

from townsquare.forum.tests.test_browser import (
    AXE,
    TIMEOUT_MS,
    chromium,
    require,
    run_axe,
    watch_console,
)
from townsquare.forum.tests.test_browser_writing import sign_in
from townsquare.newsdesk.actions.extraction import extract_story
from townsquare.newsdesk.actions.sources import save_source
from townsquare.newsdesk.models import Story
from townsquare.newsdesk.tasks import poll_source

from .conftest import article_page, rss
from .test_polling import PARAGRAPHS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_editor_publishes_a_queued_story_and_a_guest_sees_the_attribution(
        live_server, feed_server, make_member, make_category):
    from playwright.sync_api import expect

    require(AXE, "axe-core (run `npm install`)")
    axe_source = AXE.read_text()
    editor = make_member("ines", role="editor")
    category = make_category("World news", start_role="editor")
    feed_server.add("/bridge", article_page("Council approves river crossing", PARAGRAPHS),
                    content_type="text/html")
    source = save_source(
        editor=editor, name="The Daily Ledger", category=category, interval_minutes=30,
        feed_url=feed_server.add("/feed.xml", rss({
            "title": "Council approves river crossing", "link": feed_server.url("/bridge"),
            "description": "The bridge is coming.",
            "pubDate": "Thu, 03 Jul 2025 08:00:00 GMT"})))
    poll_source.call(source.pk)
    extract_story(Story.objects.get().pk)

    findings = []
    with chromium() as browser:
        page = browser.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        problems = watch_console(page, [])
        base = live_server.url
        sign_in(page, base, "ines", "/desk/")
        expect(page.get_by_role("heading", level=1)).to_have_text("News desk")
        findings += run_axe(page, axe_source)
        row = page.get_by_role("row").filter(has_text="Council approves river crossing")
        expect(row).to_contain_text("The Daily Ledger")
        row.get_by_role("link", name="Council approves river crossing").click()

        # The story page: the extracted article in the editor, ready to adapt.
        expect(page.get_by_label("Story")).to_have_value(re.compile("forty minutes to ten"))
        findings += run_axe(page, axe_source)
        page.get_by_label("Headline").fill("River crossing approved after a long night")
        page.get_by_label("Story").press("End")
        page.get_by_label("Story").press_sequentially("\n\nWork starts in the spring.")
        page.get_by_label("Category").select_option(label="World news")
        page.get_by_role("button", name="Publish now").click()

        expect(page.get_by_role("heading", level=1)).to_have_text(
            "River crossing approved after a long night")
        page.goto(base + "/desk/sources/")
        expect(page.get_by_role("cell", name="1 items, 1 new.")).to_be_visible()
        findings += run_axe(page, axe_source)

        # A guest reads the published story with its attribution.
        guest = browser.new_page()
        guest.set_default_timeout(TIMEOUT_MS)
        watch_console(guest, problems)
        topic = Story.objects.get().topic
        guest.goto(base + topic.get_absolute_url())
        opening = guest.locator("article.post-opening")
        expect(opening.locator(".author")).to_have_text("newsdesk")
        expect(opening.locator(".post-body")).to_contain_text("Work starts in the spring.")
        expect(opening.locator(".attribution")).to_have_text(
            re.compile(r"^Adapted by Townsquare from The Daily Ledger 3 July 2025$"))
        expect(opening.locator(".attribution a")).to_have_attribute(
            "href", feed_server.url("/bridge"))
        findings += run_axe(guest, axe_source)
    assert problems == []
    assert findings == []
