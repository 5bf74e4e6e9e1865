"""`{% load avatars %}` then `{% avatar_url member 64 %}`: a member's avatar for any page."""

from django import template

from townsquare.accounts import queries

register = template.Library()


@register.simple_tag
def avatar_url(member, size: int) -> str:
    return queries.avatar_url(member, int(size))
