from django import template
from django.conf import settings
from django.urls import reverse

register = template.Library()


@register.simple_tag
def emulator_page_url() -> str:
    """The admin's emulator page, or "" while the emulator is off."""
    return reverse("wechat_emulator:page") if settings.WECHAT_EMULATOR else ""
