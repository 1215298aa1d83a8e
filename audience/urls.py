from django.urls import path

from . import views

app_name = "audience"
urlpatterns = [
    path("", views.me, name="me"),
    path("oauth/", views.oauth, name="oauth"),
    path("identify/", views.identify, name="identify"),
    path("bind/", views.bind, name="bind"),
    path("bind/send/", views.code_send, name="code_send"),
    path("bind/code/", views.code, name="code"),
    path("request/", views.record_request, name="request"),
    path("profile/", views.profile, name="profile"),
    path("classmates/", views.classmates, name="classmates"),
    path("unbind/", views.unbind, name="unbind"),
    path("delete/", views.delete, name="delete"),
]
