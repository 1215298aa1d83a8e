"""What happens to a sign-up, told to whoever listens (sent after the transaction commits).

Each carries `registration_id`; a listener reads the row itself. The notifications app sends
confirmations on them; activities never knows who listens.
"""

from django.dispatch import Signal

# A new sign-up took a place or a waitlist spot.
registration_created = Signal()
# A waitlisted sign-up got a place that someone gave back.
registration_promoted = Signal()
# A sign-up was cancelled (by its owner through its link, or by the erasure of a record).
registration_cancelled = Signal()
