"""Saving a row through the Django admin's change form, as staff would: the form's current
values as the page shows them, with some fields changed."""

from html.parser import HTMLParser


class _FormValues(HTMLParser):
    """The values a browser would send for the inputs, selects and text areas of a page."""

    def __init__(self):
        super().__init__()
        self.values: dict[str, list[str]] = {}
        self.select: str | None = None
        self.textarea: str | None = None
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        found = dict(attrs)
        name = found.get("name")
        if tag == "input" and name:
            kind = found.get("type", "text")
            if kind in ("submit", "button", "file", "image", "reset"):
                return
            if kind in ("checkbox", "radio") and "checked" not in found:
                return
            self.values.setdefault(name, []).append(found.get("value") or
                                                   ("on" if kind == "checkbox" else ""))
        elif tag == "select":
            self.select = name
            self.values.setdefault(name, [])
        elif tag == "option" and self.select and "selected" in found:
            self.values[self.select].append(found.get("value", ""))
        elif tag == "textarea" and name:
            self.textarea, self.text = name, []

    def handle_data(self, data):
        if self.textarea:
            self.text.append(data)

    def handle_endtag(self, tag):
        if tag == "select":
            self.select = None
        elif tag == "textarea" and self.textarea:
            self.values[self.textarea] = ["".join(self.text).removeprefix("\n")]
            self.textarea = None


def admin_save(client, obj, **changes) -> None:
    """Change `obj` in the admin (the client is signed in as staff); True and False tick and
    clear check boxes, a model instance selects that row."""
    meta = obj._meta
    url = f"/admin/{meta.app_label}/{meta.model_name}/{obj.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    form = _FormValues()
    form.feed(page.content.decode())
    values = form.values
    for name, value in changes.items():
        if value is False:
            values.pop(name, None)
        else:
            values[name] = ["on" if value is True else str(getattr(value, "pk", value))]
    response = client.post(url, {**values, "_save": "Save"})
    assert response.status_code == 302, response.content.decode()[:3000]
