from django.urls import path

from . import notify

app_name = "payments"
urlpatterns = [
    path("notify/", notify.notify, name="notify"),
]
