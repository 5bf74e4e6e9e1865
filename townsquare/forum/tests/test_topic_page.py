import re

import pytest

pytestmark = pytest.mark.django_db


def test_guest_sees_every_element_of_the_seed_page(client, make_member, make_topic):
    desk = make_member("newsdesk", role="editor")
    topic = make_topic(author=desk, title="Marshes return", body="The **marsh** is back.",
                       source_name="The Courier", source_url="https://courier.example/a",
                       source_date="2025-07-03")
    response = client.get(topic.get_absolute_url())
    html = response.content.decode()
    assert response.status_code == 200
    first_focusable = re.search(r"<(a|button|input|summary|textarea|select)\b[^>]*>", html)
    assert 'class="skip-link" href="#content"' in first_focusable.group(0)
    assert "Jump to content" in html
    assert '<main id="content"' in html
    assert "Recommended Posts" in html
    assert "<strong>marsh</strong>" in html
    assert ('Adapted by Townsquare from <a href="https://courier.example/a" '
            'rel="nofollow noopener">The Courier</a> <time datetime="2025-07-03">') in html
    assert "Create an account or sign in to comment" in html
    assert "You need to be a member in order to leave a comment" in html
    assert "Register a new account" in html and "Already have an account? Sign in here." in html
    assert "Recently Browsing <span class=\"count\">0</span> members" in html
    assert "No registered users viewing this page." in html
    assert "Create New..." in html
