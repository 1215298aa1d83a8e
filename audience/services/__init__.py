"""The audience app's services, by sub-domain; import them from here."""

from .binding import (
    binding_candidates,
    binding_code_send,
    binding_code_verify,
    follower_bind,
    follower_for_openid,
    follower_unbind,
    record_request_create,
    record_request_fulfil,
)
from .followers import follower_event_apply, followers_sync
from .labels import record_labels_update
from .profile import SELF_SERVICE_FIELDS, alumnus_erase, profile_update
from .segments import SegmentSyncResult, segment_delete, segment_sync

__all__ = [
    "SELF_SERVICE_FIELDS",
    "SegmentSyncResult",
    "alumnus_erase",
    "binding_candidates",
    "binding_code_send",
    "binding_code_verify",
    "follower_bind",
    "follower_event_apply",
    "follower_for_openid",
    "follower_unbind",
    "followers_sync",
    "profile_update",
    "record_request_create",
    "record_labels_update",
    "record_request_fulfil",
    "segment_delete",
    "segment_sync",
]
