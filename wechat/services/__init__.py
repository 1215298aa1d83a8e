"""Pushes (群发): composing, approving, sending exactly once, and what WeChat reports back.

A push moves draft → approved → uploading → draft_created → sent → finished (or failed, or
cancelled before it starts). `push_advance` runs the steps; each step is claimed under
`select_for_update` and committed before WeChat is called, and WeChat's answer (uploaded image
URLs, the cover's media_id, the draft's media_id, msg_id/msg_data_id or publish_id) is stored
before the next step begins. A run that dies is resumed from the last stored answer by the
scheduler (`pushes_dispatch_due`) once its lease has passed, without uploading or sending twice:
images and covers are remembered by content hash, and the mass send carries a `clientmsgid`
derived from the push, so WeChat answers a repeated send with 45065 and the earlier msg_id.

Errors: `NotAllowedError` (who may), `TransitionError` (not in this state) and
`InvalidValueError` (bad input), all from editorial.errors; a push that cannot be sent stores
the reason on its row (`error_message`) instead of raising.

Modules: `workflow` (the states and the moves between them, one table), `compose` (save,
approve, schedule, cancel, preview), `render` (items → WeChat articles), `pipeline` (the send
steps, retries, the scheduler), `drafts` (drafts WeChat no longer needs), `events` (WeChat's
finish notices), `tags` (tag choices), `preview_link` (a staff member's own WeChat for
previews). This module re-exports what the rest of the site calls.
"""

from .compose import (
    preview_openid,
    push_approve,
    push_cancel,
    push_compose_for,
    push_create,
    push_items_check,
    push_preview,
    push_save,
    push_schedule,
    push_single,
)
from .drafts import push_drafts_cleanup, push_drafts_delete
from .events import push_callback_apply
from .pipeline import PushRetry, push_advance, push_fail, push_retry_delay, pushes_dispatch_due
from .tags import tag_choices, tag_choices_forget
from .workflow import MOVES, PushMove, allowed_moves, editable, push_changed_by

__all__ = [
    "MOVES",
    "PushMove",
    "allowed_moves",
    "editable",
    "PushRetry",
    "preview_openid",
    "push_advance",
    "push_approve",
    "push_callback_apply",
    "push_cancel",
    "push_changed_by",
    "push_compose_for",
    "push_create",
    "push_drafts_cleanup",
    "push_drafts_delete",
    "push_fail",
    "push_items_check",
    "push_preview",
    "push_retry_delay",
    "push_save",
    "push_schedule",
    "push_single",
    "pushes_dispatch_due",
    "tag_choices",
    "tag_choices_forget",
]
