"""The admin site's own wording; the models' admins live in each app's admin.py."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

admin.site.site_header = _("Alumni association content management")
admin.site.site_title = _("Alumni association content management")
admin.site.index_title = _("Content and alumni records")
