from django import template
from django.utils.safestring import mark_safe

from townsquare.core.timefmt import time_element

register = template.Library()


@register.filter
def reltime(moment):
    """A `<time datetime>` element whose text is relative to now ("6 minutes ago")."""
    if not moment:
        return ""
    return mark_safe(time_element(moment))
