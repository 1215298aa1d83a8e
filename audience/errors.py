"""Errors the audience services raise; each carries a message for the person who caused it."""

from django.utils.translation import gettext_lazy as _


class AudienceError(Exception):
    """Base class; `message` is a sentence for the alumnus or the office (zh-hans by default)."""

    default_message = _("The request could not be completed.")

    def __init__(self, message=None):
        self.message = message or self.default_message
        super().__init__(str(self.message))


class NotBoundError(AudienceError):
    default_message = _("Your WeChat account is not bound to an alumni record yet.")


class AlreadyBoundError(AudienceError):
    default_message = _("This alumni record is already bound to another WeChat account.")


class NoDestinationError(AudienceError):
    default_message = _("The record has no phone number or e-mail address for this choice.")


class RateLimitedError(AudienceError):
    default_message = _("Too many codes requested. Please wait a little and try again.")

    def __init__(self, message=None, *, retry_after: int = 60):
        super().__init__(message)
        self.retry_after = retry_after


class CodeInvalidError(AudienceError):
    default_message = _("The code is wrong.")

    def __init__(self, message=None, *, attempts_left: int = 0):
        super().__init__(message)
        self.attempts_left = attempts_left


class CodeExpiredError(AudienceError):
    default_message = _("The code has expired or was used up. Ask for a new one.")


class RecordDeletedError(AudienceError):
    default_message = _("This alumni record was deleted.")


class SegmentSyncError(AudienceError):
    """A segment could not be mirrored to WeChat; `message` is WeChat's error in plain words."""

    default_message = _("The segment could not be synced to WeChat.")


class SyncBusyError(AudienceError):
    default_message = _("Another sync of this segment is running. Try again in a minute.")


class CodeDeliveryError(AudienceError):
    default_message = _("The code could not be sent. Please try again later.")
