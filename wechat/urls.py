from django.urls import path

from . import notice_views, preview_views, views

app_name = "wechat"
urlpatterns = [
    path("callback/", views.callback, name="callback"),
    # A staff member's phone links their WeChat for push previews (no admin login there).
    path("link/", preview_views.preview_link, name="preview_link"),
    path("link/oauth/", preview_views.preview_link_oauth, name="preview_link_oauth"),
    # Opting in to notices in WeChat (subscription accounts: wx-open-subscribe).
    path("notices/", notice_views.notices, name="notices"),
]
