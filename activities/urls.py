from django.urls import path

from . import views

app_name = "activities"
urlpatterns = [
    path("", views.activity_list, name="list"),
    path("<int:pk>/", views.activity_detail, name="detail"),
    path("<int:pk>/calendar.ics", views.activity_calendar, name="calendar"),
    path("mine/", views.lookup_start, name="lookup"),
    path("mine/code/", views.lookup_code, name="lookup_code"),
    path("mine/list/", views.my_registrations, name="my_registrations"),
    path("mine/end/", views.lookup_end, name="lookup_end"),
    path("registration/<str:token>/", views.registration_detail, name="registration"),
    path(
        "registration/<str:token>/calendar.ics",
        views.registration_calendar,
        name="registration_calendar",
    ),
    path(
        "registration/<str:token>/cancel/",
        views.registration_cancel_view,
        name="registration_cancel",
    ),
]
