from django.urls import path

from . import notify, views

app_name = "payments"
urlpatterns = [
    path("notify/", notify.notify, name="notify"),
    path("give/<int:pk>/", views.give, name="give"),
    path("orders/<str:out_trade_no>/", views.pay, name="pay"),
    path("orders/<str:out_trade_no>/state/", views.order_state, name="state"),
    path("orders/<str:out_trade_no>/thanks/", views.thanks, name="thanks"),
    path(
        "orders/<str:out_trade_no>/certificate.png",
        views.certificate_image,
        name="certificate",
    ),
]
