from django import template

from core.names import display_name as _display_name

register = template.Library()


@register.filter
def display_name(user) -> str:
    """`{{ entry.user|display_name }}`: the person's name (core.names), "" for nobody."""
    return _display_name(user)
