"""Headless Chromium: a member uploads an avatar, sets a display name and location, and sees
them on their profile; axe checks the edit page and the profile in light and dark."""

import io

import pytest
from PIL import Image

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


def png_bytes() -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", (400, 300), (30, 110, 70))
    image.paste((240, 200, 40), (150, 100, 250, 200))
    image.save(out, "PNG")
    return out.getvalue()


def loaded_width(page, selector: str) -> int:
    """The natural width of an image once the browser has it (0 if it failed to load)."""
    return page.eval_on_selector(
        selector, "img => img.decode().then(() => img.naturalWidth, () => 0)")


def check_axe(page, axe_source: str, findings: list[str], name: str) -> None:
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        findings += [f"{name} ({scheme}): {f}" for f in run_axe(page, axe_source)]
    page.emulate_media(color_scheme="light")


def test_a_member_uploads_an_avatar_and_fills_in_their_profile(live_server, make_member,
                                                              make_topic):
    from playwright.sync_api import expect

    require(AXE, "axe-core (run `npm install`)")
    axe_source = AXE.read_text()
    ada = make_member("ada")
    make_topic(author=ada, title="Herons over the estuary")
    base, findings = live_server.url, []
    with chromium() as browser:
        page = browser.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        problems = watch_console(page, [])
        sign_in(page, base, "ada", "/me/profile/")

        # Before any upload, the generated avatar with her initial.
        expect(page.get_by_role("heading", level=1)).to_have_text("Edit your profile")
        avatar = page.get_by_role("img", name="Your current avatar")
        expect(avatar).to_have_attribute("src", "/members/ada/avatar.svg")
        assert loaded_width(page, "img.avatar") > 0
        expect(page.get_by_role("button", name="Remove avatar")).to_have_count(0)
        check_axe(page, axe_source, findings, "/me/profile/")

        # Upload a picture: back on the page with the new square avatar.
        page.get_by_label("New avatar (JPEG, PNG, GIF or WebP)").set_input_files(
            files=[{"name": "ada.png", "mimeType": "image/png", "buffer": png_bytes()}])
        page.get_by_role("button", name="Upload avatar").click()
        expect(page.get_by_role("status")).to_contain_text("Your new avatar is in place.")
        src = avatar.get_attribute("src")
        assert src.startswith(f"/media/avatars/{ada.pk}/") and src.endswith("-256.webp")
        assert loaded_width(page, "img.avatar") == 256
        expect(page.get_by_role("button", name="Remove avatar")).to_be_visible()

        # A file that is no image is refused in the page, with the reason.
        page.get_by_label("New avatar (JPEG, PNG, GIF or WebP)").set_input_files(
            files=[{"name": "notes.png", "mimeType": "image/png", "buffer": b"just text"}])
        page.get_by_role("button", name="Upload avatar").click()
        expect(page.get_by_role("alert")).to_have_text(
            "That file is not an image we can read (JPEG, PNG, GIF or WebP).")
        check_axe(page, axe_source, findings, "/me/profile/ with an error")
        expect(avatar).to_have_attribute("src", src)

        # Display name and location, then the profile shows them.
        page.get_by_label("Display name").fill("Ada Lovelace")
        page.get_by_label("Location").fill("London")
        page.get_by_label("Bio").fill("Notes on the analytical engine.")
        page.get_by_role("button", name="Save profile").click()
        page.wait_for_url(f"{base}/u/ada/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Ada Lovelace @ada")
        expect(page.locator(".profile-facts")).to_contain_text("London")
        expect(page.locator(".bio")).to_have_text("Notes on the analytical engine.")
        expect(page.locator("img.avatar")).to_have_attribute("src", src)
        assert loaded_width(page, "img.avatar") == 256
        expect(page.locator("#member-topics")).to_contain_text("Herons over the estuary")
        expect(page.locator(".messages")).to_have_text("Your profile is saved.")
        check_axe(page, axe_source, findings, "/u/ada/")

        # Another reader sees the same profile; axe is clean for them too.
        other = browser.new_page()
        other.set_default_timeout(TIMEOUT_MS)
        watch_console(other, problems)
        other.goto(f"{base}/u/ada/")
        expect(other.get_by_role("heading", level=1)).to_have_text("Ada Lovelace @ada")
        check_axe(other, axe_source, findings, "/u/ada/ as a guest")
    assert findings == []
    # The refused upload is the one failed request: the browser logs its 400 status.
    refused = [p for p in problems if "status of 400" in p and "/me/profile/avatar/" in p]
    assert len(refused) == 1 and [p for p in problems if p not in refused] == []
