from django.urls import path

from . import views

app_name = "donations"
urlpatterns = [
    path("", views.project_list, name="list"),
    path("wall/", views.wall, name="wall"),
    path("<int:pk>/", views.project_detail, name="detail"),
]
