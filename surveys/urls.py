from django.urls import path

from . import views

app_name = "surveys"
urlpatterns = [
    path("<int:pk>/", views.survey_detail, name="detail"),
    path("<int:pk>/thanks/", views.survey_thanks, name="thanks"),
]
