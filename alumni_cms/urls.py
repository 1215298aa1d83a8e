import re
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path, re_path
from django.utils.functional import lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import RedirectView
from django.views.i18n import set_language

from core.lockout import login_throttled
from core.media import serve_media
from editorial.uploads import editor_image_browse, editor_image_upload
from wechat.preview_views import my_wechat_admin

from . import views
from .admin_status import system_status_view

# Chinese pages in the site's style instead of Django's English ones (used when DEBUG is off).
handler400 = "core.errors.bad_request"
handler403 = "core.errors.permission_denied"
handler404 = "core.errors.page_not_found"
handler500 = "core.errors.server_error"

urlpatterns = [
    path("", views.home, name="home"),
    # Browsers ask for /favicon.ico whatever the page links; a temporary redirect, as the
    # static file's name may change with its content.
    path("favicon.ico", RedirectView.as_view(url=lazy(static, str)("img/favicon.ico"))),
    path("news/", include("articles.urls")),
    path("activities/", include("activities.urls")),
    path("donations/", include("donations.urls")),
    path("surveys/", include("surveys.urls")),
    path("payments/", include("payments.urls")),
    path("alumni/", include("alumni.urls")),
    path("search/", include("search.urls")),
    path("liaison/", include("articles.liaison_urls")),
    path("wechat/", include("wechat.urls")),
    path("me/", include("audience.urls")),
    path("admin/dashboard/", include("stats.urls")),
    path("admin/status/", admin.site.admin_view(system_status_view), name="system_status"),
    # Before the admin's own URLs: its login view, held to LOGIN_IP_LIMITS per client address.
    path("admin/login/", login_throttled(admin.site.login)),
    # "My WeChat": a staff member links the WeChat their push previews go to (wechat/preview_views).
    path("admin/wechat/my-wechat/", my_wechat_admin, name="wechat_my_wechat"),
    path("admin/", admin.site.urls),
    # The rich-text editor's image upload and browse, checked and re-encoded (editorial/uploads.py);
    # django-ckeditor's own views would store any file that starts like an image.
    path("ckeditor/upload/", editor_image_upload, name="ckeditor_upload"),
    path("ckeditor/browse/", editor_image_browse, name="ckeditor_browse"),
    # The language buttons in every public page's footer post here without a CSRF token, so
    # those pages carry nothing per visitor (no token to make, no cookie to set, the same bytes
    # for everyone). A forged post can do no more than switch someone's language.
    path("i18n/setlang/", csrf_exempt(set_language), name="set_language"),
]
if settings.WECHAT_EMULATOR:
    # The development WeChat emulator's admin page, before the admin's own URLs. Without the
    # emulator the address is the admin's 404 and wechat_emulator is never imported.
    urlpatterns.insert(0, path("admin/wechat/emulator/", include("wechat_emulator.urls")))
if settings.DEBUG and not urlsplit(settings.MEDIA_URL).netloc:
    # As deploy/nginx serves /media/ in production: images only, nosniff, a sandboxing CSP.
    urlpatterns.append(
        re_path(rf"^{re.escape(settings.MEDIA_URL.lstrip('/'))}(?P<path>.*)$", serve_media)
    )
