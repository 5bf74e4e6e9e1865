"""Two browsers on one topic: one member posts, the other sees the reply and the presence
change arrive live, without reloading."""

import pytest

from townsquare.forum.tests.test_browser import PASSWORD, TIMEOUT_MS, chromium, watch_console
from townsquare.live.stream import application
from townsquare.live.tests.asgi_server import ThreadedASGIServer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, base, username, next_url):
    page.goto(f"{base}/signin/?next={next_url}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base + next_url)


def test_a_reply_and_a_new_reader_appear_live_in_another_browser(live_server, settings,
                                                                 make_member, make_topic):
    from playwright.sync_api import expect

    make_member("ada")
    make_member("bo")
    topic = make_topic(title="Live from the estuary")
    # Pages and stream on the same host name, as `townsquare serve` has them: cookies are
    # kept per host, not per port.
    base = live_server.url.replace("localhost", "127.0.0.1")
    with ThreadedASGIServer(application) as stream:
        settings.LIVE_STREAM_URL = stream.url
        settings.LIVE_ALLOWED_ORIGINS = [base]
        settings.LIVE_POLL_SECONDS = 0.05
        settings.SECURE_CSP = {**settings.SECURE_CSP,
                               "connect-src": ["'self'", stream.url]}
        with chromium() as browser:
            reader = browser.new_context().new_page()
            reader.set_default_timeout(TIMEOUT_MS)
            problems = watch_console(reader, [])
            sign_in(reader, base, "bo", topic.get_absolute_url())
            # Bo's own stream makes him a reader; the pushed box lists him.
            expect(reader.locator("#browsing")).to_contain_text("bo")

            writer = browser.new_context().new_page()
            writer.set_default_timeout(TIMEOUT_MS)
            watch_console(writer, problems)
            sign_in(writer, base, "ada", topic.get_absolute_url())

            # Ada arrives: Bo's Recently Browsing changes without a reload.
            expect(reader.locator("#browsing")).to_contain_text("ada")
            writer.get_by_label("Your reply").fill("The tide is coming in fast.")
            # While she writes, Bo is told so (and Ada is not).
            expect(reader.locator("#typing")).to_have_text("ada is replying…")
            expect(writer.locator("#typing")).to_have_text("")
            writer.get_by_role("button", name="Post reply").click()

            # Bo sees the reply appear, with buttons to react to it.
            arrived = reader.locator("article.post").filter(has_text="The tide is coming in")
            expect(arrived).to_have_count(1)
            expect(arrived.get_by_role("button", name="Haha")).to_be_visible()
            arrived.get_by_role("button", name="Haha").click()
            expect(arrived.locator(".reaction-counts")).to_have_text("Haha 1")
            # ...and Ada sees Bo's reaction arrive on her post.
            mine = writer.locator("article.post").filter(has_text="The tide is coming in")
            expect(mine.locator(".reaction-counts")).to_have_text("Haha 1")
    assert problems == []
