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
# A sign-up was checked in at the door (sent after commit, once per registration).
registration_checked_in = Signal()

# Sent by whoever learns that an alumnus is at the door (the WeChat side: a bound follower
# scanned the activity's channel code), with `activity_id`, `alumnus_id` and `door`; activities
# checks their sign-up in (activities.receivers) and the receiver returns the CheckInResult.
check_in_requested = Signal()

# These carry `activity_id` and `registration_ids` (the sign-ups to tell) and are sent INSIDE the
# transaction that records them, so a listener that creates rows does so atomically with it:
# the published time or place changed (`version` names the new time and place) ...
activity_changed = Signal()
# ... the organiser cancelled the whole activity ...
activity_cancelled = Signal()
# ... a reminder is due (`when` is "day" or "hour", `starts_at` the start it is for).
reminder_due = Signal()
# ... the organisers send a survey (`survey_id`) to those who came (checked in).
followup_requested = Signal()
