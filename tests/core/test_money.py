from decimal import Decimal

import pytest
from django.template import Context, Template

from core.money import grouped, yuan


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        (Decimal("4064300.00"), "¥4,064,300"),
        (Decimal("4064300"), "¥4,064,300"),
        (Decimal("4207884.50"), "¥4,207,884.50"),
        (Decimal("1234.05"), "¥1,234.05"),
        (Decimal("999.00"), "¥999"),
        (Decimal("0.01"), "¥0.01"),
        (Decimal("0"), "¥0"),
        (Decimal("1000000000.00"), "¥1,000,000,000"),
        (Decimal("12.345"), "¥12.35"),
        (Decimal("-1500.00"), "-¥1,500"),
        (4064300, "¥4,064,300"),
    ],
)
def test_yuan_groups_thousands_and_drops_zero_cents(amount, shown):
    assert yuan(amount) == shown


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        (Decimal("4207884.00"), "4,207,884.00"),
        (Decimal("4207884"), "4,207,884.00"),
        (Decimal("0.50"), "0.50"),
        (Decimal("999.99"), "999.99"),
    ],
)
def test_grouped_keeps_the_cents_for_tables(amount, shown):
    assert grouped(amount) == shown


def test_a_float_is_refused():
    with pytest.raises(TypeError):
        yuan(4064300.0)


def test_the_filter_groups_in_a_chinese_page(settings):
    settings.LANGUAGE_CODE = "zh-hans"
    template = Template("{% load money %}{{ amount|yuan }} {{ amount|grouped }}|{{ none|yuan }}")

    shown = template.render(Context({"amount": Decimal("4064300.00"), "none": None}))

    assert shown == "¥4,064,300 4,064,300.00|"
