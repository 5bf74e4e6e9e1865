"""The multi-quote button on each post, built as a string like the rest of a post's controls."""

from townsquare.core.links import url_for


def multiquote_button_html(*, post_id: int, selected: bool, csrf_token: str) -> str:
    url = url_for("quote_toggle")
    label = "Quoting" if selected else "+ Quote"
    return (f'<form class="multiquote" method="post" action="{url}" hx-post="{url}" '
            f'hx-swap="outerHTML"><input type="hidden" name="csrfmiddlewaretoken" '
            f'value="{csrf_token}"><input type="hidden" name="post" value="{post_id}">'
            f'<button type="submit" class="link-button" aria-pressed="'
            f'{"true" if selected else "false"}" title="Collect this post to quote it in your '
            f'reply">{label}</button></form>')
