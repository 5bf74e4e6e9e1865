"""Who may read a stream, and how an event reads for each kind of reader, are the site's rules,
not the broker's: `settings.LIVE_READERS` names the module that has them (the pages layer's
`townsquare.pages.stream`), so the broker imports no feature app.

The module gives: `reader(request, topic_id)`, `may_read`, `event_allows`, `topic_access`,
`apply_member`, `current_access`, `is_moderator`, `reader_variant` and `render_for`.
"""

from importlib import import_module

from django.conf import settings


def rules():
    return import_module(settings.LIVE_READERS)
