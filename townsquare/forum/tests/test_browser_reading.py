"""Headless Chromium: a member reads a topic, another replies, and the first finds the topic
marked new in the category, lands on the new reply, sees the recommended replies and marks
the category read; axe checks each page with the stylesheet this work adds folded in."""

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

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_member_finds_a_new_reply_from_the_category_and_lands_on_it(
        live_server, settings, make_member, make_category, make_topic, add_replies, scheme):
    from playwright.sync_api import expect

    from townsquare.forum.actions import post_reply
    from townsquare.reactions.actions import react_to_post

    require(AXE, "axe-core (run `npm install`)")
    axe_source = AXE.read_text()
    settings.RECOMMENDED_MIN_REPLIES = 5
    ada, bo, cy, di = (make_member(name) for name in ("ada", "bo", "cy", "di"))
    category = make_category("Local news")
    topic = make_topic(author=bo, category=category, title="The new footbridge")
    replies = add_replies(topic, 19, authors=[cy, di])  # 20 posts: one full page
    for reply, fans in ((replies[3], (ada, bo)), (replies[8], (bo,))):
        for fan in fans:
            react_to_post(member=fan, post=reply, kind="thanks")
    make_topic(author=bo, category=category, title="Market day moves")
    findings = []
    with chromium() as browser:
        page = browser.new_context(color_scheme=scheme).new_page()
        page.set_default_timeout(TIMEOUT_MS)
        problems = watch_console(page, [])
        sign_in(page, live_server.url, "ada", topic.get_absolute_url())

        # Ada reads the whole topic (one page); the recommended reply sits under the opening.
        recommended = page.get_by_role("region", name="Recommended replies")
        expect(recommended.get_by_role("listitem")).to_have_count(1)
        expect(recommended).to_contain_text("2 positive reactions")
        findings += [f"topic page 1: {line}" for line in run_axe(page, axe_source)]

        # Bo replies; Ada's category list marks the topic with one new post.
        new = post_reply(author=bo, topic=topic, body="The bridge opens on Saturday.")
        page.goto(live_server.url + category.get_absolute_url())
        rows = page.locator(".topic-row")
        footbridge = rows.filter(has_text="The new footbridge")
        mark = footbridge.get_by_role("link", name="1 new post, go to the first unread")
        expect(mark).to_be_visible()
        expect(rows.filter(has_text="Market day moves").get_by_role(
            "link", name="New topic: you have not opened it")).to_be_visible()
        findings += [f"category with marks: {line}" for line in run_axe(page, axe_source)]

        # The mark leads to the new reply, on page 2.
        mark.click()
        page.wait_for_url(re.compile(rf"\?page=2#post-{new.pk}$"))
        expect(page.locator(f"#post-{new.pk}")).to_be_in_viewport()
        findings += [f"topic page 2: {line}" for line in run_axe(page, axe_source)]

        # Another reply: opening the topic by its plain link lands on it too.
        newer = post_reply(author=cy, topic=topic, body="And the ferry stops a week later.")
        page.goto(live_server.url + topic.get_absolute_url())
        page.wait_for_url(re.compile(rf"\?page=2#post-{newer.pk}$"))
        expect(page.locator(f"#post-{newer.pk}")).to_be_in_viewport()

        # Mark all read: the other topic's mark goes too.
        page.goto(live_server.url + category.get_absolute_url())
        expect(page.locator(".unread-badge")).to_have_count(1)
        page.get_by_role("button", name="Mark all read").click()
        expect(page.get_by_role("status")).to_contain_text(
            "Every topic in Local news is marked read.")
        expect(page.locator(".unread-badge")).to_have_count(0)
        findings += [f"category after marking: {line}" for line in run_axe(page, axe_source)]

    assert not findings, f"axe found {len(findings)} problem(s) in {scheme} mode:\n" + "\n".join(
        findings)
    assert problems == []
