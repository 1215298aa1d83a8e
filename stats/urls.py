from django.urls import path

from . import views

app_name = "stats"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("export/<slug:table>.csv", views.export_csv, name="export"),
    path("export/<slug:table>.xlsx", views.export_xlsx, name="export_xlsx"),
]
