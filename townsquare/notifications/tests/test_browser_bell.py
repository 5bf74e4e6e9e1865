"""Two browsers: ada quotes bo; bo's bell rises without a reload, and its notification takes
him to the quoting post. axe checks the notifications pages."""

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
from townsquare.live.stream import application
from townsquare.live.tests.asgi_server import ThreadedASGIServer
from townsquare.live.tests.test_browser_live import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_quote_rings_the_bell_live_and_leads_to_the_quoting_post(live_server, settings,
                                                                   make_member, make_topic):
    from playwright.sync_api import expect

    require(AXE, "axe-core (run `npm install`)")
    axe_source = AXE.read_text()
    make_member("ada")
    bo = make_member("bo")
    topic = make_topic(author=bo, title="Herons are back on the marsh",
                       body="Three pairs nested this spring.")
    base = live_server.url.replace("localhost", "127.0.0.1")
    findings = []
    with ThreadedASGIServer(application) as stream:
        settings.LIVE_STREAM_URL = stream.url
        settings.LIVE_ALLOWED_ORIGINS = [base]
        settings.LIVE_POLL_SECONDS = 0.05
        settings.SECURE_CSP = {**settings.SECURE_CSP, "connect-src": ["'self'", stream.url]}
        with chromium() as browser:
            reader = browser.new_context().new_page()
            reader.set_default_timeout(TIMEOUT_MS)
            problems = watch_console(reader, [])
            sign_in(reader, base, "bo", "/")
            bell = reader.locator(".site-header .bell")
            expect(bell.locator(".bell-count")).to_have_text("0")

            writer = browser.new_context().new_page()
            writer.set_default_timeout(TIMEOUT_MS)
            watch_console(writer, problems)
            sign_in(writer, base, "ada", topic.get_absolute_url())
            opening = writer.locator("article.post-opening")
            opening.get_by_role("link", name="Quote").click()
            box = writer.get_by_label("Your reply")
            expect(box).to_have_value(re.compile("Three pairs nested"))
            box.press("End")
            box.press_sequentially("\n\nAnd two more by the sluice.")
            writer.get_by_role("button", name="Post reply").click()
            expect(writer.locator("article.post").filter(
                has_text="two more by the sluice")).to_have_count(1)

            # Bo, on the home page, sees his bell rise without reloading.
            expect(bell.locator(".bell-count")).to_have_text("1")
            expect(bell).to_have_attribute("aria-label", "Notifications, 1 unread")
            bell.click()
            expect(reader.get_by_role("heading", level=1)).to_have_text("Notifications")
            findings += run_axe(reader, axe_source)
            reader.get_by_role("link", name=re.compile("ada quoted you in")).click()

            # ...and lands on the post that quotes him.
            quoting = topic.posts.get(position=2)
            reader.wait_for_url(re.compile(rf"#post-{quoting.pk}$"))
            expect(reader.locator(f"#post-{quoting.pk}")).to_contain_text(
                "two more by the sluice")
            expect(reader.locator(".site-header .bell-count")).to_have_text("0")
            reader.goto(base + "/notifications/settings/")
            findings += run_axe(reader, axe_source)
    assert problems == []
    assert findings == []
