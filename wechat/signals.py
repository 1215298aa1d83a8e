"""Signals of the wechat app.

`callback_received` is sent after the transaction that stored a new CallbackEvent commits,
with `sender=CallbackEvent` and `event` (the CallbackEvent). It is not sent again for WeChat's
retries of the same event. Receivers run inside the callback request, which WeChat abandons
after 5 seconds: they should only enqueue work (a Celery task carrying `event.pk`). They are
called with `send_robust`, so one failing receiver neither stops the others nor the answer.
"""

from django.dispatch import Signal

callback_received = Signal()

# A push moved (wechat.services.workflow.move), sent after the commit with `sender=Push`,
# `push_id` and `move` (the move's name: "approve", "send", "publish", "finish", "fail", …).
# The notifications app tells the push's author when it is approved, sent or failed.
push_moved = Signal()
