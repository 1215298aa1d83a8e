from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

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
    path("i18n/", include("django.conf.urls.i18n")),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
