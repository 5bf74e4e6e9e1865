from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from townsquare.core.shell import hole as make_hole
from townsquare.core.timefmt import absolute, time_element

register = template.Library()


@register.filter
def reltime(moment):
    """A `<time datetime>` element whose text is relative to now ("6 minutes ago")."""
    if not moment:
        return ""
    return mark_safe(time_element(moment))


@register.filter
def livetime(moment):
    """`reltime` for HTML kept for many views (core/shell.py): the relative text is a
    `time:` hole, brought up to date whenever the kept HTML is filled."""
    if not moment:
        return ""
    return format_html('<time class="rel" datetime="{}" title="{}">{}</time>',
                       moment.isoformat(), absolute(moment),
                       make_hole("time", int(moment.timestamp())))


@register.simple_tag
def hole(name, *args, default=""):
    """A named hole (core/shell.py): `{% hole "pressed" post.pk kind default="false" %}`."""
    return make_hole(name, *args, default=str(default))
