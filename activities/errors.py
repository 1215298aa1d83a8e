"""Errors the activity services raise. Each carries a translated message fit for the public."""


class SignupError(Exception):
    """A sign-up or cancellation was refused; `message` says why, `code` names the reason."""

    def __init__(self, message, *, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


class PhoneLookupError(Exception):
    """Finding sign-ups by phone was refused; `message` says why, `code` names the reason."""

    def __init__(self, message, *, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


class CheckInError(Exception):
    """A check-in was refused (no permission, no door); `message` says why."""

    def __init__(self, message, *, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


class ActivityError(Exception):
    """An organiser's action on an activity was refused; `message` says why."""

    def __init__(self, message, *, code: str):
        super().__init__(message)
        self.message = message
        self.code = code
