import time

from django import template
from django.template.loader import get_template
from django.utils import translation

from core.memo import chrome as fragments

register = template.Library()


@register.simple_tag(takes_context=True)
def chrome(context, template_name: str, *shows):
    """`template_name` rendered once per process, language, hour and the values in `shows`.

    For the parts of the public pages that are the same for every visitor of a section (the
    head's links, the header and menu, the footer with the language buttons). The template
    sees the page's context, but only the language, `shows` and the time (the footer's year;
    hence the hour in the key) may change what it renders: they are the key it is kept under.
    """
    key = (template_name, translation.get_language(), int(time.time() // 3600), *shows)
    html = fragments.get(key)
    if html is None:
        html = fragments.set(key, get_template(template_name).render(context.flatten()))
    return html
