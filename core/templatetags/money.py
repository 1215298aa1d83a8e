"""`{% load money %}`: `{{ amount|yuan }}` ("¥4,064,300") and `{{ amount|grouped }}`
("4,207,884.00"), from core.money. An empty value shows as nothing."""

from django import template

from core import money

register = template.Library()


@register.filter
def yuan(amount) -> str:
    return "" if amount is None or amount == "" else money.yuan(amount)


@register.filter
def grouped(amount) -> str:
    return "" if amount is None or amount == "" else money.grouped(amount)
