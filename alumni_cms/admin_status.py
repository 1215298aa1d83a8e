"""/admin/status/: the system status page, for office admins (superusers, or the permission
"Can see the system status page")."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from .status import system_status

PERMISSION = "alumni_cms.view_system_status"


def system_status_view(request):
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied
    context = {
        **admin.site.each_context(request),
        "title": _("System status"),
        "status": system_status(),
    }
    response = TemplateResponse(request, "admin/system_status.html", context)
    response["Cache-Control"] = "no-store"
    return response
