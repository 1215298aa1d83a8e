from django.conf import settings
from django.utils.translation import gettext as _


def site(request):
    """The site's name for every template."""
    return {"SITE_NAME": settings.SITE_NAME or _("Alumni Association")}
