"""Included under /admin/wechat/emulator/ by alumni_cms/urls.py only when the emulator is on."""

from django.contrib import admin
from django.urls import path

from . import views

app_name = "wechat_emulator"
urlpatterns = [
    path("", admin.site.admin_view(views.emulator_page), name="page"),
]
