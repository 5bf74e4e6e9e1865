"""Headless Chromium: a member drops an image into a reply, previews, posts, edits the reply
and reads its history; axe checks the editor, the edit page and the history page."""

import base64
import io
import re

import pytest
from PIL import Image

from townsquare.forum.tests.test_browser import (
    AXE,
    PASSWORD,
    TIMEOUT_MS,
    chromium,
    require,
    run_axe,
    watch_console,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def png_base64() -> str:
    out = io.BytesIO()
    Image.new("RGB", (320, 200), (30, 110, 70)).save(out, "PNG")
    return base64.b64encode(out.getvalue()).decode()


DROP = """([selector, data]) => {
  const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0));
  const transfer = new DataTransfer();
  transfer.items.add(new File([bytes], "marsh-at-dawn.png", {type: "image/png"}));
  const box = document.querySelector(selector);
  box.focus();
  for (const type of ["dragenter", "dragover", "drop"]) {
    box.dispatchEvent(new DragEvent(type, {dataTransfer: transfer, bubbles: true,
                                           cancelable: true}));
  }
}"""


def sign_in(page, base, username, next_url):
    page.goto(f"{base}/signin/?next={next_url}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base + next_url)


def test_a_member_drops_an_image_previews_posts_edits_and_reads_the_history(
        live_server, settings, tmp_path, make_member, make_topic):
    from playwright.sync_api import expect

    require(AXE, "axe-core (run `npm install`)")
    axe_source = AXE.read_text()
    settings.MEDIA_ROOT = tmp_path
    make_member("ada")
    topic = make_topic(title="Herons over the estuary")
    findings = []
    with chromium() as browser:
        page = browser.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        problems = watch_console(page, [])
        sign_in(page, live_server.url, "ada", topic.get_absolute_url())

        # Drop an image on the reply box: it is uploaded and its Markdown put in the text.
        box = page.get_by_label("Your reply")
        page.evaluate(DROP, ["#id_body", png_base64()])
        expect(box).to_have_value(re.compile(r"!\[marsh at dawn\]\(/media/uploads/.+\.webp\)"))
        expect(page.locator(".editor-status")).to_contain_text("added")
        box.press("End")
        box.press_sequentially("\nThe herons are back, **dozens** of them.")

        # Preview shows exactly what will be stored, image included, before posting.
        page.get_by_role("button", name="Preview").click()
        preview = page.locator(".preview")
        expect(preview.locator("strong")).to_have_text("dozens")
        expect(preview.locator("img")).to_have_attribute("width", "320")
        findings += [f"editor with preview: {line}" for line in run_axe(page, axe_source)]

        page.get_by_role("button", name="Post reply").click()
        mine = page.locator("article.post").filter(
            has=page.get_by_role("link", name="ada", exact=True))
        expect(mine).to_have_count(1)
        image = mine.locator(".post-body img")
        expect(image).to_have_attribute("height", "200")
        expect(image).to_have_attribute("loading", "lazy")

        # Edit the reply: the post says it was edited and links to its history.
        page.reload()
        mine.get_by_role("link", name="Edit").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Edit post")
        findings += [f"edit page: {line}" for line in run_axe(page, axe_source)]
        body = page.get_by_label("Post")
        body.fill(body.input_value().replace("dozens", "hundreds"))
        page.get_by_label("Reason for the edit (optional)").fill("counted again")
        page.get_by_role("button", name="Save changes").click()
        expect(mine.locator(".post-body strong")).to_have_text("hundreds")
        mine.get_by_role("link", name="(edited)").click()

        # The history shows both versions and what changed, word by word.
        expect(page.get_by_role("heading", level=1)).to_contain_text("History of post")
        expect(page.locator(".revision")).to_have_count(2)
        expect(page.locator(".diff del").first).to_contain_text("dozens")
        expect(page.locator(".diff ins").first).to_contain_text("hundreds")
        expect(page.get_by_text("Reason: counted again")).to_be_visible()
        findings += [f"history: {line}" for line in run_axe(page, axe_source)]

    assert not findings, "axe found problems:\n" + "\n".join(findings)
    assert problems == []
