"""The liaison portal, mounted at /liaison/ (namespace "liaison"; LOGIN_URL points here)."""

from django.urls import path

from core.lockout import login_throttled

from . import liaison_views as views

app_name = "liaison"
urlpatterns = [
    path("", views.submission_list, name="list"),
    path("login/", login_throttled(views.LoginView.as_view()), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("new/", views.submission_new, name="new"),
    path("<int:pk>/", views.submission_detail, name="detail"),
    path("<int:pk>/edit/", views.submission_edit, name="edit"),
    path("<int:pk>/recall/", views.submission_recall, name="recall"),
]
