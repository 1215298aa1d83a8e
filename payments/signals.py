"""What payments tells the rest of the site."""

from django.dispatch import Signal

# An online order was paid and its Gift recorded: sent once per order, after the commit.
# Arguments: order_id (payments.OnlineOrder's pk).
gift_paid = Signal()
