"""Amounts of money as people read them: grouped in thousands, in yuan.

One helper for every page, table and admin column that shows an amount, so ¥4,064,300 is
written the same way everywhere. Amounts are Decimal (or int) throughout; a float is refused,
because a float cannot hold most amounts to the fen and would print as one.
"""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def _to_decimal(amount) -> Decimal:
    if isinstance(amount, float):
        raise TypeError("Amounts of money are Decimal, never float.")
    if isinstance(amount, bool):
        raise TypeError("An amount of money is not a truth value.")
    return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)


def grouped(amount) -> str:
    """`amount` to the fen, grouped in thousands: Decimal("4207884") -> "4,207,884.00".

    For tables, where the cents line up. Raises TypeError for a float.
    """
    return f"{_to_decimal(amount):,.2f}"


def yuan(amount) -> str:
    """`amount` in yuan for people: "¥4,064,300", "¥12.50", "-¥3"; whole yuan without ".00".

    Raises TypeError for a float.
    """
    value = _to_decimal(amount)
    text = f"{abs(value):,.2f}"
    if text.endswith(".00"):
        text = text[:-3]
    return f"{'-' if value < 0 else ''}¥{text}"
