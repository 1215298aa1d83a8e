from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from django.views.i18n import set_language

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("news/", include("articles.urls")),
    path("activities/", include("activities.urls")),
    path("donations/", include("donations.urls")),
    path("alumni/", include("alumni.urls")),
    path("liaison/", include("articles.liaison_urls")),
    path("wechat/", include("wechat.urls")),
    path("me/", include("audience.urls")),
    path("admin/dashboard/", include("stats.urls")),
    path("admin/", admin.site.urls),
    path("ckeditor/", include("ckeditor_uploader.urls")),
    # The language buttons in every public page's footer post here without a CSRF token, so
    # those pages carry nothing per visitor (no token to make, no cookie to set, the same bytes
    # for everyone). A forged post can do no more than switch someone's language.
    path("i18n/setlang/", csrf_exempt(set_language), name="set_language"),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
