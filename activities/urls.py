from django.urls import path

from . import views

app_name = "activities"
urlpatterns = [
    path("", views.activity_list, name="list"),
    path("<int:pk>/", views.activity_detail, name="detail"),
    path("registration/<str:token>/", views.registration_detail, name="registration"),
    path(
        "registration/<str:token>/cancel/",
        views.registration_cancel_view,
        name="registration_cancel",
    ),
]
