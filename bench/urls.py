from django.urls import include, path

from . import bare_views

urlpatterns = [
    path("bench/bare/<int:pk>/", bare_views.bare_detail, name="bench_bare_detail"),
    path("bench/bare/", bare_views.bare_list, name="bench_bare_list"),
    path("bench/fixed/<int:size>/", bare_views.bare_fixed, name="bench_bare_fixed"),
    path("", include("alumni_cms.urls")),
]
