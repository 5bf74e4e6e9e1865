"""Headless Chromium: a visitor subscribes from the banner (htmx), confirms from the email
and manages the subscription; an editor watches the desk. axe-core checks every page.

Needs Chromium at /usr/bin/chromium and `npm install` (axe-core in node_modules); without
them the tests are skipped on a developer machine and fail under CI.
"""

import os
import re
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.utils import timezone

# live_server runs Django in a thread while Playwright's sync API runs an event loop here.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).resolve().parents[3] / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update"]
PASSWORD = "a-long-Passphrase-42"
TIMEOUT_MS = 10_000

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def require(path: Path, what: str) -> None:
    if path.exists():
        return
    reason = f"{what} is missing ({path})"
    if os.environ.get("CI", "").lower() in ("", "0", "false"):
        pytest.skip(reason)
    pytest.fail(f"{reason}; CI must run the browser tests")


@contextmanager
def chromium():
    require(CHROMIUM, "Chromium")
    require(AXE, "axe-core (run `npm install`)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def watch_console(page, problems: list[str]) -> list[str]:
    """Console errors (CSP violations among them) and uncaught exceptions; Chromium's own
    request for /favicon.ico is no page error."""

    def on_console(message):
        url = message.location.get("url", "")
        if message.type == "error" and not url.endswith("/favicon.ico"):
            problems.append(f"{message.text} ({url})")

    page.on("console", on_console)
    page.on("pageerror", lambda e: problems.append(f"uncaught: {e}"))
    return problems


def axe_findings(page, name: str) -> list[str]:
    """axe-core's WCAG A/AA and best-practice findings on the page, one line per node
    (unsettled checks too, except colour contrast over backgrounds axe cannot read)."""
    page.evaluate(AXE.read_text())  # DevTools evaluation is not subject to the page's CSP
    result = page.evaluate("""() => axe.run(document, {
        runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa",
                                        "wcag22aa", "best-practice"]},
    })""")
    unsettled = [r for r in result["incomplete"] if r["id"] != "color-contrast"]
    return [f"{name}: {v['id']} ({v['impact']}): {v['help']} -> {node['target']}"
            for v in result["violations"] + unsettled for node in v["nodes"]]


def confirmation_path(message) -> str:
    return re.search(r"https?://[^/\s]+(/newsletter/confirm/[^/\s]+/)", message.body).group(1)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_visitor_subscribes_from_the_banner_and_confirms_from_the_email(live_server,
                                                                            make_topic,
                                                                            scheme):
    from playwright.sync_api import expect

    story = make_topic(title="Ferry timetable extended", source_name="The Valley Courier",
                       source_url="https://courier.example/ferry")
    findings = []
    with chromium() as browser:
        page = browser.new_context(color_scheme=scheme).new_page()
        page.set_default_timeout(TIMEOUT_MS)
        problems = watch_console(page, [])

        page.goto(live_server.url + "/newsletter/")
        expect(page.get_by_role("heading", level=1)).to_have_text("The Townsquare newsletter")
        findings += axe_findings(page, "newsletter page")

        # A guest reading a news story finds the banner under its opening post.
        page.goto(live_server.url + story.get_absolute_url())
        expect(page.locator(".post-opening .newsletter-banner")).to_be_visible()
        expect(page.locator(".post-opening .attribution")).to_contain_text(
            "from The Valley Courier")
        findings += axe_findings(page, "news topic with the banner")

        # Subscribe from the banner: htmx swaps it for the status message.
        banner = page.locator(".newsletter-banner")
        banner.get_by_label("Email address").fill("visitor@example.org")
        banner.get_by_label("Daily").check()
        banner.get_by_role("button", name="Subscribe").click()
        expect(page.locator(".newsletter-banner [role=status]")).to_contain_text(
            "Check your inbox")
        assert page.url == live_server.url + story.get_absolute_url()  # no page change
        findings += axe_findings(page, "news topic after subscribing")

        # The email's link shows a button; pressing it confirms.
        (message,) = mail.outbox
        assert message.to == ["visitor@example.org"]
        page.goto(live_server.url + confirmation_path(message))
        expect(page.get_by_role("heading", level=1)).to_have_text("Confirm your subscription")
        findings += axe_findings(page, "confirm page")
        page.get_by_role("button", name="Confirm my subscription").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Your newsletter subscription")
        expect(page.get_by_role("status")).to_have_text(
            "You are subscribed: the daily digest will come to visitor@example.org.")
        findings += axe_findings(page, "manage page")

        # Weekly instead, with the manage page's own form.
        page.get_by_label("Weekly").check()
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_role("status")).to_have_text("Saved: you get the weekly digest.")

        # The same link again: already confirmed.
        page.goto(live_server.url + confirmation_path(message))
        expect(page.get_by_role("heading", level=1)).to_have_text("Already confirmed")

    from townsquare.newsletter.models import Subscriber

    subscriber = Subscriber.objects.get()
    assert (subscriber.status, subscriber.frequency) == ("active", "weekly")
    assert not findings, "\n".join(findings)
    assert problems == []


def test_an_editor_watches_a_digest_go_out_on_the_desk(live_server, make_member, make_topic,
                                                       settings):
    from playwright.sync_api import expect

    from townsquare.forum.actions import post_reply
    from townsquare.newsletter import actions
    from townsquare.newsletter.models import Subscriber

    make_member("editor1", role="editor", password=PASSWORD)
    post_reply(author=make_member(), topic=make_topic(title="Ferry timetable"), body="Yes.",
               created=timezone.now() - timedelta(hours=1))
    now = timezone.now()
    for n in range(3):
        Subscriber.objects.create(email=f"reader{n}@example.org", frequency="daily",
                                  status="active", created=now, confirmed=now,
                                  confirm_nonce=f"n{n}", manage_key=f"k{n}")
    digest = actions.create_digest(frequency="daily", period_end=now)
    findings = []
    with chromium() as browser:
        page = browser.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        problems = watch_console(page, [])
        page.goto(f"{live_server.url}/signin/?next=/newsletter/desk/")
        page.get_by_label("Username").fill("editor1")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(live_server.url + "/newsletter/desk/")
        progress = page.locator(f"progress[max='{digest.recipients}']")
        expect(progress).to_have_attribute("value", "0")
        findings += axe_findings(page, "desk while sending")

        # The worker sends the digest; the page follows by itself (htmx, every 2 s).
        from .conftest import run_queued_tasks

        run_queued_tasks()
        expect(progress).to_have_attribute("value", "3", timeout=8_000)
        expect(page.locator(".newsletter-log tbody tr")).to_have_count(3)
        findings += axe_findings(page, "desk after sending")
    assert not findings, "\n".join(findings)
    assert problems == []
